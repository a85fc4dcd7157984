import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Store } from '../../store/store.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import type { ErrorCode } from '../../domain/errors.js'
import { parsePermissions } from '../../domain/permissions.js'
import type { PermissionSet } from '../../domain/permissions.js'
import { ApiKeyService } from './api-key-service.js'
import type { CreateApiKeyInput } from './api-key-service.js'
import { hashSecret, parseApiKey } from './api-key-format.js'

type RecordedEvent = Parameters<AuditSink['record']>[0]

const T0 = 1_767_225_600_000
const DAY = 86_400_000
const KEY_SHAPE = /^gk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/

let store: Store
let service: ApiKeyService
const events: RecordedEvent[] = []
let counter = 0

function permissions(text: string): PermissionSet {
  const parsed = parsePermissions(text)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.value
}

interface World {
  readonly orgId: string
  readonly otherOrgId: string
  readonly projectId: string
  readonly otherProjectId: string
  readonly owner: string
  readonly admin: string
  readonly member: string
  readonly inactive: string
  readonly outsider: string
}

/** Two orgs: one with an owner, an admin, a member, an inactive member and a project; the other with its own. */
async function world(): Promise<World> {
  counter += 1
  const org = await store.orgs.create(`service-${counter}`)
  const other = await store.orgs.create(`service-other-${counter}`)
  const email = (who: string) => `${who}${counter}@example.com`
  await store.users.createMember(org.id, { email: email('owner'), role: 'owner' })
  await store.users.createMember(org.id, { email: email('admin'), role: 'admin' })
  await store.users.createMember(org.id, { email: email('member'), role: 'member' })
  const inactive = await store.users.createMember(org.id, { email: email('inactive'), role: 'admin' })
  await store.db.updateTable('users').set({ status: 'inactive' }).where('id', '=', inactive.userId).execute()
  await store.users.createMember(other.id, { email: email('outsider'), role: 'owner' })
  const project = await store.projects.create(org.id, 'analytics')
  const otherProject = await store.projects.create(other.id, 'analytics')
  return {
    orgId: org.id,
    otherOrgId: other.id,
    projectId: project.id,
    otherProjectId: otherProject.id,
    owner: email('owner'),
    admin: email('admin'),
    member: email('member'),
    inactive: email('inactive'),
    outsider: email('outsider'),
  }
}

function input(w: World, overrides: Partial<CreateApiKeyInput> = {}): CreateApiKeyInput {
  return {
    orgId: w.orgId,
    userEmail: w.member,
    name: 'nightly export',
    projects: [w.projectId],
    domains: [],
    permissions: permissions('read'),
    expires: '90d',
    admin: false,
    createdBy: 'cli',
    ...overrides,
  }
}

beforeAll(async () => {
  store = Store.open('sqlite::memory:')
  await store.migrate()
  service = new ApiKeyService(store, { record: (e) => void events.push(e) })
})

beforeEach(() => {
  events.length = 0
})

afterAll(async () => {
  await store.close()
})

describe('ApiKeyService.create', () => {
  it('returns the whole key once and stores only the hash of its secret', async () => {
    const w = await world()
    const { key, view } = await service.create(input(w), T0)
    expect(key).toMatch(KEY_SHAPE)
    const parsed = parseApiKey(key)
    expect(parsed?.id).toBe(view.id)
    const row = await store.apiKeys.findById(view.id)
    expect(row?.secret_hash).toBe(hashSecret(parsed?.secret ?? ''))
    expect(JSON.stringify(row)).not.toContain(parsed?.secret)
    expect(JSON.stringify(view)).not.toContain(parsed?.secret)
    expect(JSON.stringify(await service.list(w.orgId, T0))).not.toContain(parsed?.secret)
  })

  it('describes the key it made: owner, project, permissions, all domains, 90-day expiry', async () => {
    const w = await world()
    const member = await store.users.findMember(w.orgId, w.member)
    const { view } = await service.create(input(w), T0)
    expect(view).toEqual({
      id: expect.stringMatching(/^[0-9A-Za-z]{12}$/),
      prefix: `gk_${view.id}`,
      name: 'nightly export',
      orgId: w.orgId,
      userId: member?.userId,
      projectIds: [w.projectId],
      domainAccess: { mode: 'all' },
      permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
      expiresAt: T0 + 90 * DAY,
      createdBy: 'cli',
      createdAt: T0,
      lastUsedAt: null,
      revokedAt: null,
      status: 'active',
    })
  })

  it.each([
    ['7d', T0 + 7 * DAY],
    ['30d', T0 + 30 * DAY],
    ['90d', T0 + 90 * DAY],
    ['1y', T0 + 365 * DAY],
    ['never', null],
  ] as const)('sets the expiry of a %s key', async (expires, expiresAt) => {
    const w = await world()
    const { view } = await service.create(input(w, { expires }), T0)
    expect(view.expiresAt).toBe(expiresAt)
    expect((await store.apiKeys.findById(view.id))?.expires_at).toBe(expiresAt)
  })

  it('takes projects by name or id, once each, and narrows to the domains asked for', async () => {
    const w = await world()
    const { view } = await service.create(
      input(w, { projects: ['analytics', w.projectId], domains: ['sales', 'finance', 'sales'] }),
      T0,
    )
    expect(view.projectIds).toEqual([w.projectId])
    expect(view.domainAccess).toEqual({ mode: 'include', domains: ['sales', 'finance'] })
  })

  it('trims the name', async () => {
    const w = await world()
    expect((await service.create(input(w, { name: '  ci  ' }), T0)).view.name).toBe('ci')
  })

  it('makes an org-wide admin key for an owner or an admin, with only the admin permission', async () => {
    const w = await world()
    for (const userEmail of [w.owner, w.admin]) {
      const { view } = await service.create(input(w, { userEmail, admin: true, projects: [] }), T0)
      expect(view.permissions).toEqual({ admin: true })
      expect(view.projectIds).toEqual([])
    }
  })

  it('audits the creation with the prefix and never the key', async () => {
    const w = await world()
    const { key, view } = await service.create(input(w), T0)
    expect(events).toEqual([
      {
        type: 'key.created',
        orgId: w.orgId,
        data: {
          key_prefix: view.prefix,
          user_id: view.userId,
          actor: 'cli',
          permissions: view.permissions,
          project_ids: [w.projectId],
        },
      },
    ])
    expect(JSON.stringify(events)).not.toContain(key)
  })

  type Refusal = readonly [string, (w: World) => Partial<CreateApiKeyInput>, ErrorCode, (w: World) => string]
  const refusals: Refusal[] = [
    ['an empty name', () => ({ name: '' }), 'INPUT_INVALID', () => 'The key needs a name (--name)'],
    ['a name of spaces', () => ({ name: '   ' }), 'INPUT_INVALID', () => 'The key needs a name (--name)'],
    [
      'a user who is not a member',
      () => ({ userEmail: 'ghost@example.com' }),
      'NOT_FOUND',
      () => 'User ghost@example.com in this organization not found',
    ],
    [
      'a member of another org',
      (w) => ({ userEmail: w.outsider }),
      'NOT_FOUND',
      (w) => `User ${w.outsider} in this organization not found`,
    ],
    ['an inactive user', (w) => ({ userEmail: w.inactive }), 'INPUT_INVALID', (w) => `User ${w.inactive} is inactive`],
    [
      'an admin key for a member',
      () => ({ admin: true, projects: [] }),
      'AUTHZ_DENIED',
      (w) => `An admin key needs an owner or admin; ${w.member} is a member`,
    ],
    [
      'an admin key with a project',
      (w) => ({ userEmail: w.owner, admin: true }),
      'INPUT_INVALID',
      () => 'An admin key is org-wide: it takes no --project or --domain',
    ],
    [
      'an admin key with a domain',
      (w) => ({ userEmail: w.owner, admin: true, projects: [], domains: ['sales'] }),
      'INPUT_INVALID',
      () => 'An admin key is org-wide: it takes no --project or --domain',
    ],
    [
      'a key with no project',
      () => ({ projects: [] }),
      'INPUT_INVALID',
      () => 'A key needs a project (--project NAME or ID)',
    ],
    ['an unknown project', () => ({ projects: ['nope'] }), 'NOT_FOUND', () => 'Project nope not found'],
    [
      "another org's project, by its exact id",
      (w) => ({ projects: [w.otherProjectId] }),
      'NOT_FOUND',
      (w) => `Project ${w.otherProjectId} not found`,
    ],
    [
      "another org's project among the key's own",
      (w) => ({ projects: [w.projectId, w.otherProjectId] }),
      'NOT_FOUND',
      (w) => `Project ${w.otherProjectId} not found`,
    ],
    [
      'a key with no permission',
      () => ({ permissions: new Set() }),
      'INPUT_INVALID',
      () => 'A key needs at least one permission',
    ],
  ]

  it.each(refusals)('refuses %s, and writes and audits nothing', async (_case, change, code, message) => {
    const w = await world()
    const before = await store.apiKeys.count()
    const error = await service.create(input(w, change(w)), T0).catch((e: unknown) => e)
    expect(error).toMatchObject({ code, message: message(w) })
    expect(await store.apiKeys.count()).toBe(before)
    expect(events).toEqual([])
  })
})

describe('ApiKeyService.list', () => {
  it("lists the org's keys only, with their status", async () => {
    const w = await world()
    const active = (await service.create(input(w, { name: 'active' }), T0)).view
    const expired = (await service.create(input(w, { name: 'expired', expires: '7d' }), T0 - 8 * DAY)).view
    const revoked = (await service.create(input(w, { name: 'revoked' }), T0)).view
    await service.revoke(w.orgId, revoked.id, 'cli', T0 + 1)
    await service.create(input(w, { orgId: w.otherOrgId, userEmail: w.outsider, projects: [w.otherProjectId] }), T0)

    const listed = await service.list(w.orgId, T0 + 2)
    expect(listed.map((v) => [v.name, v.status]).sort()).toEqual([
      ['active', 'active'],
      ['expired', 'expired'],
      ['revoked', 'revoked'],
    ])
    expect(listed.map((v) => v.id).sort()).toEqual([active.id, expired.id, revoked.id].sort())
  })
})

describe('ApiKeyService.revoke', () => {
  it('revokes for good by id: the key stays listed as revoked', async () => {
    const w = await world()
    const { view } = await service.create(input(w), T0)
    events.length = 0
    const revoked = await service.revoke(w.orgId, view.id, 'cli', T0 + 5)
    expect(revoked).toMatchObject({ id: view.id, status: 'revoked', revokedAt: T0 + 5 })
    expect(await service.list(w.orgId, T0 + 6)).toEqual([{ ...view, status: 'revoked', revokedAt: T0 + 5 }])
    expect(events).toEqual([{ type: 'key.revoked', orgId: w.orgId, data: { key_prefix: view.prefix, actor: 'cli' } }])
  })

  it('audits a revocation once: revoking an already revoked key records nothing', async () => {
    const w = await world()
    const { view } = await service.create(input(w), T0)
    await service.revoke(w.orgId, view.id, 'cli', T0 + 5)
    events.length = 0
    await service.revoke(w.orgId, view.id, 'cli', T0 + 6)
    expect(events).toEqual([])
  })

  it('revokes by the visible gk_ prefix as well', async () => {
    const w = await world()
    const { view } = await service.create(input(w), T0)
    expect((await service.revoke(null, view.prefix, 'cli', T0 + 5)).status).toBe('revoked')
    expect((await store.apiKeys.findById(view.id))?.revoked_at).toBe(T0 + 5)
  })

  it('keeps the first revocation time when revoked again', async () => {
    const w = await world()
    const { view } = await service.create(input(w), T0)
    await service.revoke(null, view.id, 'cli', T0 + 5)
    expect((await service.revoke(null, view.id, 'cli', T0 + 9)).revokedAt).toBe(T0 + 5)
  })

  it.each([
    ['an unknown id', () => 'nosuchkey000', (_w: World) => null],
    ['an unknown gk_ prefix', () => 'gk_nosuchkey000', (_w: World) => null],
    ['a key of another org', (id: string) => id, (w: World) => w.otherOrgId],
  ])('refuses to revoke %s as not found, and changes nothing', async (_case, ref, orgOf) => {
    const w = await world()
    const { view } = await service.create(input(w), T0)
    events.length = 0
    const id = ref(view.id)
    const error = await service.revoke(orgOf(w), id, 'cli', T0 + 5).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: `API key ${id} not found` })
    expect((await store.apiKeys.findById(view.id))?.revoked_at).toBeNull()
    expect(events).toEqual([])
  })
})
