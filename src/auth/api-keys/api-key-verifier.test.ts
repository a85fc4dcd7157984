import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { Store } from '../../store/store.js'
import { AUTH_ERROR_DESCRIPTIONS, AuthenticationError } from '../../domain/errors.js'
import type { AuthErrorCode } from '../../domain/errors.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { parsePermissions } from '../../domain/permissions.js'
import type { PermissionSet } from '../../domain/permissions.js'
import { ApiKeyService } from './api-key-service.js'
import type { KeyExpiry } from './api-key-expiry.js'
import { ApiKeyVerifier } from './api-key-verifier.js'
import { LastUsedTracker } from './last-used-tracker.js'

type RecordedEvent = Parameters<AuditSink['record']>[0]

const T0 = 1_767_225_600_000
const DAY = 86_400_000
const OTHER_SECRET = 'Z'.repeat(32)

let store: Store
let counter = 0
const events: RecordedEvent[] = []
const audit: AuditSink = { record: (e) => void events.push(e) }
const trackers: LastUsedTracker[] = []

function permissions(text: string): PermissionSet {
  const parsed = parsePermissions(text)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.value
}

beforeAll(async () => {
  store = Store.open('sqlite::memory:')
  await store.migrate()
})

afterEach(async () => {
  for (const tracker of trackers.splice(0)) await tracker.close()
  events.length = 0
})

afterAll(async () => {
  await store.close()
})

interface Fixture {
  readonly orgId: string
  readonly userId: string
  readonly email: string
  readonly projectId: string
  readonly key: string
  readonly keyId: string
  readonly tracker: LastUsedTracker
  readonly verifier: ApiKeyVerifier
}

/** An org, an admin member with groups and attributes, a project, and one key of that member. */
async function fixture(
  options: { permissions?: string; expires?: KeyExpiry; domains?: string[]; admin?: boolean; name?: string } = {},
): Promise<Fixture> {
  counter += 1
  const org = await store.orgs.create(`verifier-${counter}`)
  const email = `user${counter}@example.com`
  const member = await store.users.createMember(org.id, {
    email,
    name: options.name ?? 'Ada Lovelace',
    role: 'admin',
    groups: ['analysts', 'emea'],
  })
  await store.db
    .updateTable('memberships')
    .set({ attributes: JSON.stringify({ tenant_id: 't-42', regions: ['EMEA'] }) })
    .where('org_id', '=', org.id)
    .execute()
  const project = await store.projects.create(org.id, 'analytics')
  const { key, view } = await new ApiKeyService(store, audit).create(
    {
      orgId: org.id,
      userEmail: email,
      name: 'ci',
      projects: options.admin === true ? [] : [project.id],
      domains: options.domains ?? [],
      permissions: permissions(options.permissions ?? 'read'),
      expires: options.expires ?? '90d',
      admin: options.admin === true,
      createdBy: 'cli',
    },
    T0,
  )
  events.length = 0
  const tracker = new LastUsedTracker(store, 3_600_000)
  trackers.push(tracker)
  return {
    orgId: org.id,
    userId: member.userId,
    email,
    projectId: project.id,
    key,
    keyId: view.id,
    tracker,
    verifier: new ApiKeyVerifier(store, tracker, audit),
  }
}

async function lastUsedAt(keyId: string): Promise<number | null | undefined> {
  return (await store.apiKeys.findById(keyId))?.last_used_at
}

describe('ApiKeyVerifier', () => {
  it("resolves a valid key to its member's role, groups and attributes, narrowed by the key", async () => {
    const f = await fixture({ permissions: 'data:read,sql:read', domains: ['sales'], expires: '30d' })
    const { principal } = await f.verifier.verify(f.key, T0 + 1)
    expect(principal).toEqual({
      kind: 'api_key',
      orgId: f.orgId,
      userId: f.userId,
      keyId: f.keyId,
      keyPrefix: `gk_${f.keyId}`,
      projectIds: [f.projectId],
      scopes: ['mcp:read', 'mcp:sql'],
      permissions: new Set(['data:read', 'sql:read']),
      domainAccess: { mode: 'include', domains: ['sales'] },
      attributes: { tenant_id: 't-42', regions: ['EMEA'] },
      role: 'admin',
      groups: ['analysts', 'emea'],
      tokenId: f.keyId,
      expiresAt: T0 + 30 * DAY,
      email: f.email,
      name: 'Ada Lovelace',
    })
  })

  it.each([
    ['read', ['mcp:read']],
    ['write', ['mcp:read', 'mcp:write']],
    ['sql:read', ['mcp:sql']],
    ['data:read', ['mcp:read']],
  ])('derives the OAuth scopes of a %s key from its permissions', async (text, scopes) => {
    const f = await fixture({ permissions: text })
    const { principal } = await f.verifier.verify(f.key, T0)
    expect(principal.scopes).toEqual(scopes)
    expect(principal.permissions).toEqual(permissions(text))
  })

  it('gives an admin key the admin permission, no project and no MCP scope', async () => {
    const f = await fixture({ admin: true })
    const { principal } = await f.verifier.verify(f.key, T0)
    expect([...principal.permissions]).toEqual(['admin'])
    expect(principal.scopes).toEqual([])
    expect(principal.projectIds).toEqual([])
  })

  it('gives a key with no domain all domains', async () => {
    const f = await fixture()
    expect((await f.verifier.verify(f.key, T0)).principal.domainAccess).toEqual({ mode: 'all' })
  })

  it('leaves out the name of a user who has none', async () => {
    counter += 1
    const org = await store.orgs.create(`nameless-${counter}`)
    await store.users.createMember(org.id, { email: `nameless${counter}@example.com`, role: 'member' })
    const project = await store.projects.create(org.id, 'p')
    const { key } = await new ApiKeyService(store, audit).create(
      {
        orgId: org.id,
        userEmail: `nameless${counter}@example.com`,
        name: 'k',
        projects: [project.id],
        domains: [],
        permissions: permissions('read'),
        expires: 'never',
        admin: false,
        createdBy: 'cli',
      },
      T0,
    )
    const tracker = new LastUsedTracker(store, 3_600_000)
    trackers.push(tracker)
    const { principal } = await new ApiKeyVerifier(store, tracker, audit).verify(key, T0)
    expect(principal).not.toHaveProperty('name')
    expect(principal.expiresAt).toBeNull()
  })

  it('may be cached for five minutes at most, and never past the expiry', async () => {
    const forever = await fixture({ expires: 'never' })
    expect((await forever.verifier.verify(forever.key, T0)).cacheUntil).toBe(T0 + 5 * 60_000)
    const soon = await fixture({ expires: '7d' })
    const now = T0 + 7 * DAY - 1_000
    expect((await soon.verifier.verify(soon.key, now)).cacheUntil).toBe(T0 + 7 * DAY)
  })

  it('accepts a key one millisecond before it expires and refuses it at the expiry', async () => {
    const f = await fixture({ expires: '7d' })
    await expect(f.verifier.verify(f.key, T0 + 7 * DAY - 1)).resolves.toBeDefined()
    await expect(f.verifier.verify(f.key, T0 + 7 * DAY)).rejects.toMatchObject({ code: 'AUTH_EXPIRED' })
  })

  type Refusal = readonly [string, (f: Fixture) => Promise<string>, AuthErrorCode, string]
  const refusals: Refusal[] = [
    ['a malformed key', async () => 'gk_tooShort_secret', 'AUTH_INVALID', 'malformed API key'],
    ['a bearer value of another shape', async () => 'not-a-key', 'AUTH_INVALID', 'malformed API key'],
    ['an unknown key id', async () => `gk_${'Q'.repeat(12)}_${OTHER_SECRET}`, 'AUTH_INVALID', 'unknown key id'],
    ['a wrong secret', async (f) => `gk_${f.keyId}_${OTHER_SECRET}`, 'AUTH_INVALID', 'wrong secret'],
    [
      'a revoked key',
      async (f) => {
        await store.apiKeys.revoke(f.orgId, f.keyId, T0 + 1)
        return f.key
      },
      'AUTH_EXPIRED',
      'revoked',
    ],
    [
      'a revoked key presented with a wrong secret (the secret is checked first)',
      async (f) => {
        await store.apiKeys.revoke(f.orgId, f.keyId, T0 + 1)
        return `gk_${f.keyId}_${OTHER_SECRET}`
      },
      'AUTH_INVALID',
      'wrong secret',
    ],
    [
      'an expired key',
      async (f) => {
        await store.db
          .updateTable('api_keys')
          .set({ expires_at: T0 + 10 })
          .where('id', '=', f.keyId)
          .execute()
        return f.key
      },
      'AUTH_EXPIRED',
      'expired',
    ],
    [
      'the key of a deactivated user',
      async (f) => {
        await store.db.updateTable('users').set({ status: 'inactive' }).where('id', '=', f.userId).execute()
        return f.key
      },
      'AUTH_ACCOUNT_INACTIVE',
      'user, membership or org inactive',
    ],
    [
      'the key of a user in a deactivated org',
      async (f) => {
        await store.db.updateTable('orgs').set({ status: 'inactive' }).where('id', '=', f.orgId).execute()
        return f.key
      },
      'AUTH_ACCOUNT_INACTIVE',
      'user, membership or org inactive',
    ],
    [
      'the key of a user whose membership was removed',
      async (f) => {
        await store.db.deleteFrom('memberships').where('org_id', '=', f.orgId).execute()
        return f.key
      },
      'AUTH_NO_ORGANIZATION',
      'has no membership',
    ],
    [
      'the key of a user deleted while the key was being verified',
      async (f) => {
        const original = store.apiKeys.findById.bind(store.apiKeys)
        vi.spyOn(store.apiKeys, 'findById').mockImplementationOnce(async (id) => {
          const row = await original(id)
          await store.db.deleteFrom('users').where('id', '=', f.userId).execute()
          return row
        })
        return f.key
      },
      'AUTH_ACCOUNT_NOT_FOUND',
      'user or org deleted',
    ],
    [
      // Users are never removed while keys point at them: a deleted user is a tombstone.
      'the key of a deleted user',
      async (f) => {
        await store.users.removeMember(f.orgId, f.userId)
        return f.key
      },
      'AUTH_ACCOUNT_NOT_FOUND',
      'user or org deleted',
    ],
    [
      'the key of a user deactivated in this organization only',
      async (f) => {
        await store.users.setMembershipStatus(f.orgId, f.userId, 'inactive')
        return f.key
      },
      'AUTH_ACCOUNT_INACTIVE',
      'user, membership or org inactive',
    ],
    [
      'the key of a user in a deleted organization',
      async (f) => {
        await store.orgs.delete(f.orgId)
        return f.key
      },
      'AUTH_ACCOUNT_NOT_FOUND',
      'user or org deleted',
    ],
  ]

  it.each(refusals)('refuses %s with the SPEC §4.4 error', async (_case, prepare, code, detail) => {
    const f = await fixture()
    const credential = await prepare(f)
    const error = await f.verifier.verify(credential, T0 + 1_000).catch((e: unknown) => e)
    vi.restoreAllMocks()
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ code, message: AUTH_ERROR_DESCRIPTIONS[code] })
    expect((error as AuthenticationError).detail).toContain(detail)
    // A refused key is not a use: no first-use record, no last-used time.
    expect(events).toEqual([])
    await f.tracker.flush()
    expect((await store.apiKeys.findById(f.keyId))?.last_used_at ?? null).toBeNull()
  })

  it.each([
    ['AUTH_INVALID', 'Invalid token'],
    ['AUTH_EXPIRED', 'Token is revoked or expired'],
    ['AUTH_NO_ORGANIZATION', 'User has no organization'],
    ['AUTH_ACCOUNT_NOT_FOUND', 'Account not found'],
    ['AUTH_ACCOUNT_INACTIVE', 'Account is inactive'],
  ] as const)('says only "%s → %s" in public, as SPEC §4.4 words it', (code, text) => {
    expect(AUTH_ERROR_DESCRIPTIONS[code]).toBe(text)
  })

  it('answers an unknown id and a wrong secret alike, so ids cannot be probed', async () => {
    const f = await fixture()
    const unknown = await f.verifier.verify(`gk_${'Q'.repeat(12)}_${OTHER_SECRET}`, T0).catch((e: unknown) => e)
    const wrong = await f.verifier.verify(`gk_${f.keyId}_${OTHER_SECRET}`, T0).catch((e: unknown) => e)
    expect(unknown).toMatchObject({ code: 'AUTH_INVALID', message: 'Invalid token' })
    expect(wrong).toMatchObject({ code: 'AUTH_INVALID', message: 'Invalid token' })
    expect((wrong as Error).message).toBe((unknown as Error).message)
  })

  it('audits the first use of a key once, however often it is verified before and after a flush', async () => {
    const f = await fixture()
    await f.verifier.verify(f.key, T0 + 1)
    await f.verifier.verify(f.key, T0 + 2)
    await f.tracker.flush()
    await f.verifier.verify(f.key, T0 + 3)
    expect(events).toEqual([
      {
        type: 'key.first_used',
        orgId: f.orgId,
        data: { key_prefix: `gk_${f.keyId}`, user_id: f.userId },
      },
    ])
  })

  it('does not audit a first use for a key used before', async () => {
    const f = await fixture()
    await store.apiKeys.recordLastUsed(new Map([[f.keyId, T0]]))
    await f.verifier.verify(f.key, T0 + 1)
    expect(events).toEqual([])
  })

  it('writes last_used_at only when the tracker flushes, with the latest use', async () => {
    const f = await fixture()
    await f.verifier.verify(f.key, T0 + 10)
    await f.verifier.verify(f.key, T0 + 20)
    expect(await lastUsedAt(f.keyId)).toBeNull()
    await f.tracker.flush()
    expect(await lastUsedAt(f.keyId)).toBe(T0 + 20)
  })

  it('writes the pending last-used times when the tracker closes', async () => {
    const f = await fixture()
    await f.verifier.verify(f.key, T0 + 30)
    await f.tracker.close()
    expect(await lastUsedAt(f.keyId)).toBe(T0 + 30)
  })
})
