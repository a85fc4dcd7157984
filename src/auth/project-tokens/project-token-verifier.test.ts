import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Store } from '../../store/store.js'
import { AuthenticationError } from '../../domain/errors.js'
import type { AuthErrorCode } from '../../domain/errors.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { parsePermissions } from '../../domain/permissions.js'
import { SigningKeys } from '../tokens/signing-keys.js'
import { ProjectSecretService } from './project-secret-service.js'
import { ProjectTokenMinter } from './project-token-minter.js'
import { ProjectTokenVerifier } from './project-token-verifier.js'

type RecordedEvent = Parameters<AuditSink['record']>[0]

const T0 = Date.now()
const ISSUER = 'https://gatehouse.example'

let store: Store
let keys: SigningKeys
let counter = 0
const events: RecordedEvent[] = []
const audit: AuditSink = { record: (e) => void events.push(e) }

beforeAll(async () => {
  store = Store.open('sqlite::memory:')
  await store.migrate()
  keys = new SigningKeys(store.signingKeys, { issuer: ISSUER, audience: `${ISSUER}/mcp` })
})

afterAll(async () => {
  await store.close()
})

beforeEach(() => {
  events.length = 0
})

interface Fixture {
  readonly orgId: string
  readonly projectId: string
  readonly userId: string
  readonly tenantId: string
  readonly secretId: string
  readonly secret: string
  readonly minter: ProjectTokenMinter
  readonly verifier: ProjectTokenVerifier
}

async function fixture(): Promise<Fixture> {
  counter += 1
  const org = await store.orgs.create(`tokens-${counter}`)
  const member = await store.users.createMember(org.id, {
    email: `ana${counter}@example.com`,
    name: 'Ana',
    role: 'member',
    groups: ['emea'],
  })
  await store.users.setAttributes(org.id, member.userId, { region: 'EMEA' })
  const project = await store.projects.create(org.id, 'analytics')
  const tenant = await store.tenants.create(org.id, { name: 'globex', attributes: { tenant_id: 't_globex' } })
  const ceiling = parsePermissions('data:read,domains:read,saved_queries:read,sql:read')
  if (!ceiling.ok) throw new Error(ceiling.error)
  const { secret, view } = await new ProjectSecretService(store, audit).create({
    orgId: org.id,
    project: project.id,
    maxPermissions: ceiling.value,
    allowOrgUsers: true,
    createdBy: 'test',
  })
  return {
    orgId: org.id,
    projectId: project.id,
    userId: member.userId,
    tenantId: tenant.id,
    secretId: view.id,
    secret,
    minter: new ProjectTokenMinter(store, keys, audit),
    verifier: new ProjectTokenVerifier(store, keys),
  }
}

const mint = (f: Fixture, fields: Record<string, unknown>) =>
  f.minter.mint({ type: 'project', projectId: f.projectId, projectSecret: f.secret, ...fields }, { via: 'cli' }, T0)

async function refusal(promise: Promise<unknown>): Promise<AuthErrorCode> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AuthenticationError)
  const { code, detail } = error as AuthenticationError
  // The audit's detail names the token and its secret (never the token itself), then the reason.
  if (code !== 'AUTH_INVALID' && detail !== 'token expired') expect(detail).toMatch(/^project token \w+ \(ps_\w+\): \w/)
  return code
}

describe('ProjectTokenVerifier', () => {
  it('resolves a tenant-user token to a tenant principal fixed to its project', async () => {
    const f = await fixture()
    const { accessToken, expiresAt } = await mint(f, {
      tenantId: 'globex',
      endUserId: 'u-17',
      semanticDomainAccess: { mode: 'include', domains: ['sales'] },
      securityParams: { region: 'EMEA' },
    })
    const { principal, cacheUntil } = await f.verifier.verify(accessToken, T0 + 1000)
    expect(principal).toMatchObject({
      kind: 'project_token',
      orgId: f.orgId,
      tenantId: f.tenantId,
      endUserId: 'u-17',
      tenantAttributes: { tenant_id: 't_globex' },
      securityParams: { region: 'EMEA' },
      keyId: f.secretId,
      projectIds: [f.projectId],
      scopes: ['mcp:read'],
      permissions: new Set(['data:read', 'domains:read', 'saved_queries:read']),
      domainAccess: { mode: 'include', domains: ['sales'] },
      role: 'tenant_user',
      groups: [],
      attributes: {},
      expiresAt: Date.parse(expiresAt),
    })
    expect(principal.userId).toBeUndefined()
    expect(principal.tokenId).toMatch(/^[0-9A-Za-z]{22}$/)
    expect(cacheUntil).toBe(T0 + 1000 + 5 * 60_000)
  })

  it("resolves an org-user token to the member's role, groups and attributes", async () => {
    const f = await fixture()
    const { accessToken } = await mint(f, { orgUserId: f.userId, permissions: 'data:read,sql:read', tokenExpiry: 60 })
    const { principal, cacheUntil } = await f.verifier.verify(accessToken, T0)
    expect(principal).toMatchObject({
      kind: 'project_token',
      userId: f.userId,
      role: 'member',
      groups: ['emea'],
      attributes: { region: 'EMEA' },
      scopes: ['mcp:read', 'mcp:sql'],
      permissions: new Set(['data:read', 'sql:read']),
      domainAccess: { mode: 'all' },
      name: 'Ana',
    })
    expect(principal.tenantId).toBeUndefined()
    // Cached no longer than the token lives.
    expect(cacheUntil).toBe(Math.floor((T0 + 60_000) / 1000) * 1000)
  })

  const refusals: [string, (f: Fixture) => Promise<unknown>, 'org' | 'tenant', AuthErrorCode][] = [
    [
      'the secret was revoked',
      (f) => new ProjectSecretService(store, audit).revoke(null, f.secretId, 't'),
      'org',
      'AUTH_EXPIRED',
    ],
    [
      'the secret was rotated',
      (f) => new ProjectSecretService(store, audit).rotate(null, f.secretId, 't'),
      'org',
      'AUTH_EXPIRED',
    ],
    [
      'the project was deleted',
      (f) => store.db.deleteFrom('projects').where('id', '=', f.projectId).execute(),
      'tenant',
      'AUTH_EXPIRED',
    ],
    ['the org was deactivated', (f) => store.orgs.setStatus(f.orgId, 'inactive'), 'tenant', 'AUTH_ACCOUNT_INACTIVE'],
    ['the org was deleted', (f) => store.orgs.delete(f.orgId), 'org', 'AUTH_ACCOUNT_NOT_FOUND'],
    [
      'the tenant was deleted',
      (f) => store.db.deleteFrom('tenants').where('id', '=', f.tenantId).execute(),
      'tenant',
      'AUTH_ACCOUNT_NOT_FOUND',
    ],
    [
      'the member was deactivated',
      (f) => store.users.setMembershipStatus(f.orgId, f.userId, 'inactive'),
      'org',
      'AUTH_ACCOUNT_INACTIVE',
    ],
    [
      'the user was deactivated',
      (f) => store.db.updateTable('users').set({ status: 'inactive' }).where('id', '=', f.userId).execute(),
      'org',
      'AUTH_ACCOUNT_INACTIVE',
    ],
    [
      'the member left the org but has another',
      async (f) => {
        const other = await store.orgs.create(`other-${f.orgId}`)
        await store.db
          .insertInto('memberships')
          .values({
            org_id: other.id,
            user_id: f.userId,
            role: 'member',
            groups: '[]',
            attributes: '{}',
            status: 'active',
            created_at: T0,
          })
          .execute()
        await store.users.removeMember(f.orgId, f.userId)
      },
      'org',
      'AUTH_NO_ORGANIZATION',
    ],
    ['the user was deleted', (f) => store.users.removeMember(f.orgId, f.userId), 'org', 'AUTH_ACCOUNT_NOT_FOUND'],
  ]

  it.each(refusals)('refuses a token once %s', async (_, change, kind, code) => {
    const f = await fixture()
    const { accessToken } = await mint(f, kind === 'org' ? { orgUserId: f.userId } : { tenantId: f.tenantId })
    await f.verifier.verify(accessToken, T0)
    await change(f)
    expect(await refusal(f.verifier.verify(accessToken, T0))).toBe(code)
  })

  it('refuses an expired token as revoked or expired', async () => {
    const f = await fixture()
    const { accessToken } = await mint(f, { tenantId: f.tenantId, tokenExpiry: 60 })
    expect(await refusal(f.verifier.verify(accessToken, T0 + 120_000))).toBe('AUTH_EXPIRED')
  })

  describe('a token signed with the server key whose claims do not hold together', () => {
    /** Re-signs a minted token's claims with changes, as a bug or a misused key could. */
    const forged = async (token: string, change: (claims: Record<string, unknown>) => void) => {
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >
      const { iss: _iss, aud: _aud, iat: _iat, exp, ...rest } = claims
      change(rest)
      return keys.sign(rest, { typ: 'gatehouse-project+jwt', expiresAt: (exp as number) * 1000, now: T0 })
    }

    it.each([
      ['its claims are malformed (no project)', (c: Record<string, unknown>) => delete c.project_id, 'AUTH_INVALID'],
      [
        'its secret belongs to another project',
        (c: Record<string, unknown>, other: Fixture) => (c.sid = other.secretId),
        'AUTH_EXPIRED',
      ],
      [
        'its project belongs to another organization',
        (c: Record<string, unknown>, other: Fixture) => (c.project_id = other.projectId),
        'AUTH_EXPIRED',
      ],
      [
        'its tenant belongs to another organization',
        (c: Record<string, unknown>, other: Fixture) => (c.tenant_id = other.tenantId),
        'AUTH_ACCOUNT_NOT_FOUND',
      ],
      [
        'its organization does not exist',
        (c: Record<string, unknown>) => (c.org_id = 'org_0000000000000000'),
        'AUTH_ACCOUNT_NOT_FOUND',
      ],
    ] as const)('refuses it when %s', async (_, change, code) => {
      const f = await fixture()
      const other = await fixture()
      const { accessToken } = await mint(f, { tenantId: f.tenantId })
      const token = await forged(accessToken, (c) => change(c, other))
      expect(await refusal(f.verifier.verify(token, T0))).toBe(code)
    })

    it('refuses a token that claims the admin permission as invalid: no token ever carries it', async () => {
      const f = await fixture()
      const { accessToken } = await mint(f, { orgUserId: f.userId })
      const token = await forged(accessToken, (c) => (c.permissions = { admin: true, data: ['read'] }))
      expect(await refusal(f.verifier.verify(token, T0))).toBe('AUTH_INVALID')
    })
  })
})
