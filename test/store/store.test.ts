import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATION_NAMES } from '../../src/store/migrations.js'
import { ConflictError } from '../../src/domain/errors.js'
import { Store } from '../../src/store/store.js'
import type { ApiKeyRow } from '../../src/store/repositories/api-key-repository.js'
import { BACKENDS, freshStoreUrl } from '../support/test-stores.js'
import type { TestStoreUrl } from '../support/test-stores.js'

/** An epoch-millisecond time past 2^31 and 2^32, so a 32-bit column or a bigint string would show. */
const T0 = 1_767_225_600_123

let counter = 0
/** A name no other test of the same store uses. */
function unique(base: string): string {
  counter += 1
  return `${base}-${counter}`
}

async function count(store: Store, table: 'orgs' | 'users' | 'memberships' | 'projects' | 'api_keys'): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

function keyRow(orgId: string, userId: string, overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  counter += 1
  const id = `key${String(counter).padStart(9, '0')}`
  return {
    id,
    org_id: orgId,
    user_id: userId,
    name: `key ${counter}`,
    prefix: `gk_${id}`,
    secret_hash: 'a'.repeat(64),
    project_ids: '["prj_x"]',
    domain_access: '{"mode":"all"}',
    permissions: '{"data":["read"]}',
    expires_at: null,
    created_by: 'cli',
    created_at: T0,
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  }
}

describe.each(BACKENDS)('Store on %s', (backend) => {
  let location: TestStoreUrl
  let store: Store
  let firstMigration: string[]

  beforeAll(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    firstMigration = await store.migrate()
  })

  afterAll(async () => {
    await store?.close()
    await location?.dispose()
  })

  /** An org with one member, for the tests that need a user. */
  async function orgWithMember(role: 'owner' | 'admin' | 'member' = 'member') {
    const org = await store.orgs.create(unique('org'))
    const member = await store.users.createMember(org.id, { email: `${unique('user')}@example.com`, role })
    return { org, member }
  }

  describe('migrations', () => {
    it('applies the core migration to an empty store', () => {
      expect(firstMigration).toEqual(MIGRATION_NAMES)
      expect(MIGRATION_NAMES.slice(0, 3)).toEqual(['0001_core', '0002_catalog_counter', '0003_project_definitions'])
    })

    it('applies nothing the second time: migrate is idempotent', async () => {
      expect(await store.migrate()).toEqual([])
      expect(await store.migrate()).toEqual([])
    })

    it('starts the credential counter at zero', async () => {
      const fresh = await freshStoreUrl(backend)
      const other = Store.open(fresh.url)
      try {
        await other.migrate()
        expect(await other.credentialEpoch()).toBe(0)
      } finally {
        await other.close()
        await fresh.dispose()
      }
    })
  })

  describe('orgs', () => {
    it('creates an org that is found by id and by name', async () => {
      const name = unique('acme')
      const org = await store.orgs.create(name, T0)
      expect(org).toEqual({
        id: expect.stringMatching(/^org_[0-9A-Za-z]{16}$/),
        name,
        status: 'active',
        created_at: T0,
      })
      expect(await store.orgs.findByRef(org.id)).toEqual(org)
      expect(await store.orgs.findByRef(name)).toEqual(org)
      expect(await store.orgs.findById(org.id)).toEqual(org)
    })

    it('finds nothing for an unknown name or id', async () => {
      expect(await store.orgs.findByRef('no-such-org')).toBeUndefined()
      expect(await store.orgs.findByRef('org_0000000000000000')).toBeUndefined()
      expect(await store.orgs.findById('no-such-org')).toBeUndefined()
    })

    it('does not find an org by name through findById', async () => {
      const org = await store.orgs.create(unique('byname'))
      expect(await store.orgs.findById(org.name)).toBeUndefined()
    })

    it('lists orgs oldest first', async () => {
      const later = await store.orgs.create(unique('later'), T0 + 2)
      const earlier = await store.orgs.create(unique('earlier'), T0 + 1)
      const ids = (await store.orgs.list()).map((o) => o.id)
      expect(ids).toContain(later.id)
      expect(ids.indexOf(earlier.id)).toBeLessThan(ids.indexOf(later.id))
    })

    it('refuses a second org with the same name as a conflict, and writes nothing', async () => {
      const name = unique('taken')
      await store.orgs.create(name)
      const before = await count(store, 'orgs')
      const error = await store.orgs.create(name).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConflictError)
      expect(error).toMatchObject({ code: 'CONFLICT', message: `An organization named "${name}" already exists` })
      expect(await count(store, 'orgs')).toBe(before)
    })

    it('keeps created_at as the exact number it was given', async () => {
      const org = await store.orgs.create(unique('time'), T0)
      const found = await store.orgs.findById(org.id)
      expect(typeof found?.created_at).toBe('number')
      expect(found?.created_at).toBe(T0)
    })
  })

  describe('users and memberships', () => {
    it('creates the user once and a membership in each org, with the email lower-cased', async () => {
      const a = await store.orgs.create(unique('a'))
      const b = await store.orgs.create(unique('b'))
      const local = unique('Alice')
      const usersBefore = await count(store, 'users')

      const inA = await store.users.createMember(
        a.id,
        { email: `${local}@Example.COM`, name: 'Alice', role: 'admin', groups: ['sales', 'emea', 'sales'] },
        T0,
      )
      const inB = await store.users.createMember(b.id, { email: `${local.toUpperCase()}@example.com`, role: 'member' })

      const email = `${local.toLowerCase()}@example.com`
      expect(inA).toEqual({
        orgId: a.id,
        userId: expect.stringMatching(/^usr_[0-9A-Za-z]{16}$/),
        role: 'admin',
        groups: ['sales', 'emea'],
        attributes: {},
        createdAt: T0,
        email,
        name: 'Alice',
        status: 'active',
      })
      expect(inB.userId).toBe(inA.userId)
      expect(inB.role).toBe('member')
      expect(await count(store, 'users')).toBe(usersBefore + 1)
      expect(await store.users.findByEmail(`${local.toUpperCase()}@EXAMPLE.com`)).toMatchObject({
        id: inA.userId,
        email,
        created_at: T0,
      })
      expect(await store.users.membership(a.id, inA.userId)).toMatchObject({ role: 'admin', groups: ['sales', 'emea'] })
      expect(await store.users.membership(b.id, inA.userId)).toMatchObject({ role: 'member', groups: [] })
    })

    it('refuses a second membership in the same org as a conflict and leaves the first one as it was', async () => {
      const { org, member } = await orgWithMember('member')
      const users = await count(store, 'users')
      const memberships = await count(store, 'memberships')

      const error = await store.users
        .createMember(org.id, { email: member.email.toUpperCase(), role: 'owner', groups: ['x'] })
        .catch((e: unknown) => e)

      expect(error).toBeInstanceOf(ConflictError)
      expect(error).toMatchObject({
        code: 'CONFLICT',
        message: `${member.email} is already a member of this organization`,
      })
      expect(await count(store, 'users')).toBe(users)
      expect(await count(store, 'memberships')).toBe(memberships)
      expect(await store.users.membership(org.id, member.userId)).toMatchObject({ role: 'member', groups: [] })
    })

    it('writes neither the user nor the membership when the membership cannot be written', async () => {
      const users = await count(store, 'users')
      const email = `${unique('orphan')}@example.com`
      // No such org: the membership insert fails after the user insert, inside one transaction.
      await expect(store.users.createMember('org_0000000000000000', { email, role: 'member' })).rejects.toThrow()
      expect(await count(store, 'users')).toBe(users)
      expect(await store.users.findByEmail(email)).toBeUndefined()
    })

    it('lists and finds members through their own org only', async () => {
      const { org: a, member: alice } = await orgWithMember()
      const { org: b, member: bob } = await orgWithMember()

      expect((await store.users.listMembers(a.id)).map((m) => m.email)).toEqual([alice.email])
      expect((await store.users.listMembers(b.id)).map((m) => m.email)).toEqual([bob.email])
      expect(await store.users.findMember(a.id, bob.email)).toBeUndefined()
      expect(await store.users.membership(a.id, bob.userId)).toBeUndefined()
      expect(await store.users.findMember(a.id, alice.email.toUpperCase())).toMatchObject({
        userId: alice.userId,
        orgId: a.id,
      })
    })

    it('lists members by email', async () => {
      const org = await store.orgs.create(unique('sorted'))
      for (const email of ['carol@example.com', 'alice@example.com', 'bob@example.com']) {
        await store.users.createMember(org.id, { email: `${counter}.${email}`, role: 'member' })
      }
      const emails = (await store.users.listMembers(org.id)).map((m) => m.email)
      expect(emails).toEqual([...emails].sort())
      expect(emails).toHaveLength(3)
    })
  })

  describe('projects', () => {
    it('allows the same project name in two orgs but not twice in one', async () => {
      const a = await store.orgs.create(unique('pa'))
      const b = await store.orgs.create(unique('pb'))
      await store.projects.create(a.id, 'analytics')
      await store.projects.create(b.id, 'analytics')
      const before = await count(store, 'projects')
      const error = await store.projects.create(a.id, 'analytics').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConflictError)
      expect(error).toMatchObject({
        code: 'CONFLICT',
        message: 'A project named "analytics" already exists in this organization',
      })
      expect(await count(store, 'projects')).toBe(before)
    })

    it("never returns another org's project, even by its exact id", async () => {
      const a = await store.orgs.create(unique('pa'))
      const b = await store.orgs.create(unique('pb'))
      const mine = await store.projects.create(a.id, 'mine', T0)
      const theirs = await store.projects.create(b.id, 'theirs')

      expect(await store.projects.findByRef(a.id, mine.id)).toEqual(mine)
      expect(await store.projects.findByRef(a.id, 'mine')).toEqual(mine)
      expect(await store.projects.findByRef(a.id, theirs.id)).toBeUndefined()
      expect(await store.projects.findByRef(a.id, 'theirs')).toBeUndefined()
      expect((await store.projects.list(a.id)).map((p) => p.id)).toEqual([mine.id])
    })

    it('lists projects by name and keeps created_at exact', async () => {
      const org = await store.orgs.create(unique('pl'))
      await store.projects.create(org.id, 'zeta', T0)
      await store.projects.create(org.id, 'alpha', T0 + 1)
      const projects = await store.projects.list(org.id)
      expect(projects.map((p) => [p.name, p.created_at])).toEqual([
        ['alpha', T0 + 1],
        ['zeta', T0],
      ])
    })
  })

  describe('API keys', () => {
    it('stores a key row and reads it back unchanged, times as exact numbers', async () => {
      const { org, member } = await orgWithMember()
      const row = keyRow(org.id, member.userId, { expires_at: T0 + 90 * 86_400_000, last_used_at: T0 + 5 })
      await store.apiKeys.insert(row)
      const found = await store.apiKeys.findById(row.id)
      expect(found).toEqual(row)
      expect(typeof found?.expires_at).toBe('number')
      expect(typeof found?.created_at).toBe('number')
    })

    it('finds nothing for an unknown id', async () => {
      expect(await store.apiKeys.findById('nosuchkey000')).toBeUndefined()
    })

    it('lists the keys of one org only, oldest first', async () => {
      const { org: a, member: alice } = await orgWithMember()
      const { org: b, member: bob } = await orgWithMember()
      const second = keyRow(a.id, alice.userId, { created_at: T0 + 10 })
      const first = keyRow(a.id, alice.userId, { created_at: T0 })
      const other = keyRow(b.id, bob.userId)
      for (const row of [second, first, other]) await store.apiKeys.insert(row)
      expect((await store.apiKeys.list(a.id)).map((r) => r.id)).toEqual([first.id, second.id])
      expect((await store.apiKeys.list(b.id)).map((r) => r.id)).toEqual([other.id])
    })

    it('revokes for good: sets revoked_at, keeps the row listed, bumps the counter and tells listeners', async () => {
      const { org, member } = await orgWithMember()
      const row = keyRow(org.id, member.userId)
      await store.apiKeys.insert(row)
      const epoch = await store.credentialEpoch()
      let told = 0
      const stop = store.onCredentialsChanged(() => (told += 1))
      try {
        const revoked = await store.apiKeys.revoke(org.id, row.id, T0 + 100)
        expect(revoked).toEqual({ row: { ...row, revoked_at: T0 + 100 }, changed: true })
        expect(await store.apiKeys.findById(row.id)).toEqual({ ...row, revoked_at: T0 + 100 })
        expect((await store.apiKeys.list(org.id)).map((r) => r.id)).toEqual([row.id])
        expect(await store.credentialEpoch()).toBe(epoch + 1)
        expect(told).toBe(1)
      } finally {
        stop()
      }
    })

    it('keeps the first revocation time when a key is revoked again, and does not bump the counter', async () => {
      const { org, member } = await orgWithMember()
      const row = keyRow(org.id, member.userId)
      await store.apiKeys.insert(row)
      await store.apiKeys.revoke(org.id, row.id, T0 + 1)
      const epoch = await store.credentialEpoch()
      const again = await store.apiKeys.revoke(null, row.id, T0 + 2)
      expect(again?.row.revoked_at).toBe(T0 + 1)
      expect(again?.changed).toBe(false)
      expect((await store.apiKeys.findById(row.id))?.revoked_at).toBe(T0 + 1)
      expect(await store.credentialEpoch()).toBe(epoch)
    })

    it("does not revoke another org's key: returns undefined and changes nothing", async () => {
      const { org: a } = await orgWithMember()
      const { org: b, member: bob } = await orgWithMember()
      const theirs = keyRow(b.id, bob.userId)
      await store.apiKeys.insert(theirs)
      const epoch = await store.credentialEpoch()
      let told = 0
      const stop = store.onCredentialsChanged(() => (told += 1))
      try {
        expect(await store.apiKeys.revoke(a.id, theirs.id, T0)).toBeUndefined()
        expect(await store.apiKeys.findById(theirs.id)).toEqual(theirs)
        expect(await store.credentialEpoch()).toBe(epoch)
        expect(told).toBe(0)
      } finally {
        stop()
      }
    })

    it('returns undefined for an unknown key id, for the operator too', async () => {
      expect(await store.apiKeys.revoke(null, 'nosuchkey000', T0)).toBeUndefined()
    })

    it('lets the operator (org null) revoke any key by id', async () => {
      const { org, member } = await orgWithMember()
      const row = keyRow(org.id, member.userId)
      await store.apiKeys.insert(row)
      const revoked = await store.apiKeys.revoke(null, row.id, T0 + 7)
      expect(revoked?.row.revoked_at).toBe(T0 + 7)
      expect(revoked?.changed).toBe(true)
    })

    it('records the newest last-used time only', async () => {
      const { org, member } = await orgWithMember()
      const row = keyRow(org.id, member.userId)
      const other = keyRow(org.id, member.userId)
      await store.apiKeys.insert(row)
      await store.apiKeys.insert(other)
      const lastUsed = async (id: string) => (await store.apiKeys.findById(id))?.last_used_at

      await store.apiKeys.recordLastUsed(new Map([[row.id, T0 + 200]]))
      expect(await lastUsed(row.id)).toBe(T0 + 200)
      expect(await lastUsed(other.id)).toBeNull()

      await store.apiKeys.recordLastUsed(new Map([[row.id, T0 + 100]]))
      expect(await lastUsed(row.id)).toBe(T0 + 200)

      await store.apiKeys.recordLastUsed(
        new Map([
          [row.id, T0 + 300],
          [other.id, T0 + 1],
          ['nosuchkey000', T0],
        ]),
      )
      expect(await lastUsed(row.id)).toBe(T0 + 300)
      expect(await lastUsed(other.id)).toBe(T0 + 1)
    })

    it('counts keys across orgs', async () => {
      const before = await store.apiKeys.count()
      const { org, member } = await orgWithMember()
      await store.apiKeys.insert(keyRow(org.id, member.userId))
      expect(await store.apiKeys.count()).toBe(before + 1)
    })
  })

  describe('credential counter', () => {
    it('is a number, not a bigint string, and goes up by one per bump', async () => {
      const epoch = await store.credentialEpoch()
      expect(typeof epoch).toBe('number')
      await store.bumpCredentialEpoch()
      expect(await store.credentialEpoch()).toBe(epoch + 1)
      const raw = await store.db
        .selectFrom('store_counters')
        .select('value')
        .where('name', '=', 'credentials')
        .executeTakeFirstOrThrow()
      expect(raw.value).toBe(epoch + 1)
    })

    it('tells every listener of a bump until it unsubscribes', async () => {
      const calls: string[] = []
      const stopA = store.onCredentialsChanged(() => calls.push('a'))
      const stopB = store.onCredentialsChanged(() => calls.push('b'))
      await store.bumpCredentialEpoch()
      stopA()
      await store.bumpCredentialEpoch()
      stopB()
      await store.bumpCredentialEpoch()
      expect(calls).toEqual(['a', 'b', 'b'])
    })

    it('is seen by another Store opened on the same location', async () => {
      const other = Store.open(location.url)
      try {
        const before = await other.credentialEpoch()
        await store.bumpCredentialEpoch()
        expect(await other.credentialEpoch()).toBe(before + 1)
      } finally {
        await other.close()
      }
    })
  })

  it('closes idempotently', async () => {
    const other = Store.open(location.url)
    await other.ping()
    await other.close()
    await other.close()
    await expect(other.ping()).rejects.toThrow()
  })
})
