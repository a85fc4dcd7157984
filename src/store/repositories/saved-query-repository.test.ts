import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../../test/support/test-stores.js'
import { hasPrefix } from '../../domain/ids.js'
import { Store } from '../store.js'
import type { SavedQueryInput } from './saved-query-repository.js'

/** An epoch-millisecond time past 2^32, so a 32-bit column or a bigint string would show. */
const T0 = 1_767_225_600_123

function input(name: string, overrides: Partial<SavedQueryInput> = {}): SavedQueryInput {
  return {
    name,
    description: 'Revenue by region',
    mode: 'standard',
    query: '{"domain":"sales","dimensions":["region"],"measures":["revenue"],"filters":[],"order_by":[]}',
    createdBy: 'gk_abc',
    ...overrides,
  }
}

describe.each(BACKENDS)('SavedQueryRepository on %s', (backend) => {
  let location: TestStoreUrl
  let store: Store
  let counter = 0

  beforeAll(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    await store.migrate()
  })
  afterAll(async () => {
    await store?.close()
    await location?.dispose()
  })

  /** A fresh org with two projects, so no test sees another's rows. */
  async function world() {
    counter += 1
    const org = await store.orgs.create(`org-${counter}`)
    const a = await store.projects.create(org.id, 'alpha')
    const b = await store.projects.create(org.id, 'beta')
    return { orgId: org.id, a: a.id, b: b.id }
  }

  it('stores a saved query with an sq_ id and reads it back by org, project and name', async () => {
    const { orgId, a } = await world()
    const { row, replaced } = await store.savedQueries.save(orgId, a, input('by_region'), { replace: false }, T0)
    expect(replaced).toBe(false)
    expect(hasPrefix(row.id, 'sq')).toBe(true)
    expect(await store.savedQueries.find(orgId, a, 'by_region')).toEqual({
      id: row.id,
      org_id: orgId,
      project_id: a,
      name: 'by_region',
      description: 'Revenue by region',
      mode: 'standard',
      query: input('x').query,
      created_by: 'gk_abc',
      created_at: T0,
      updated_at: T0,
    })
  })

  it('lists the saved queries of the given projects only, by project then name', async () => {
    const { orgId, a, b } = await world()
    for (const [project, name] of [
      [a, 'zeta'],
      [a, 'alpha'],
      [b, 'beta'],
    ] as const) {
      await store.savedQueries.save(orgId, project, input(name), { replace: false })
    }
    expect((await store.savedQueries.list(orgId, [a])).map((r) => r.name)).toEqual(['alpha', 'zeta'])
    expect((await store.savedQueries.list(orgId, [a, b])).map((r) => r.name).sort()).toEqual(['alpha', 'beta', 'zeta'])
    expect(await store.savedQueries.list(orgId, [])).toEqual([])
  })

  it('refuses a name that exists in the project without replace, naming it', async () => {
    const { orgId, a } = await world()
    await store.savedQueries.save(orgId, a, input('dup'), { replace: false })
    await expect(store.savedQueries.save(orgId, a, input('dup'), { replace: false })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('"dup"'),
    })
  })

  it('keeps names per project: the same name in another project is another saved query', async () => {
    const { orgId, a, b } = await world()
    await store.savedQueries.save(orgId, a, input('same'), { replace: false })
    const other = await store.savedQueries.save(orgId, b, input('same'), { replace: false })
    expect(other.replaced).toBe(false)
    expect((await store.savedQueries.find(orgId, b, 'same'))?.id).toBe(other.row.id)
  })

  it('replaces with replace: true, keeping the id, creator and creation time', async () => {
    const { orgId, a } = await world()
    const first = await store.savedQueries.save(orgId, a, input('q'), { replace: false }, T0)
    const dev = input('q', { mode: 'dev', query: '{"connection":"warehouse","sql":"SELECT 1"}', createdBy: 'usr_x' })
    const second = await store.savedQueries.save(orgId, a, dev, { replace: true }, T0 + 5)
    expect(second.replaced).toBe(true)
    expect(await store.savedQueries.find(orgId, a, 'q')).toMatchObject({
      id: first.row.id,
      mode: 'dev',
      query: dev.query,
      created_by: 'gk_abc',
      created_at: T0,
      updated_at: T0 + 5,
    })
  })

  it('refuses to replace a row the caller may not replace, even with replace: true', async () => {
    const { orgId, a } = await world()
    await store.savedQueries.save(orgId, a, input('guarded'), { replace: false })
    await expect(
      store.savedQueries.save(orgId, a, input('guarded', { description: 'changed' }), {
        replace: true,
        mayReplace: () => false,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    expect((await store.savedQueries.find(orgId, a, 'guarded'))?.description).toBe('Revenue by region')
  })

  it('saves into no project of another org, and finds, lists and deletes nothing across orgs', async () => {
    const mine = await world()
    const theirs = await world()
    await store.savedQueries.save(theirs.orgId, theirs.a, input('secret'), { replace: false })
    await expect(store.savedQueries.save(mine.orgId, theirs.a, input('x'), { replace: false })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect(await store.savedQueries.find(mine.orgId, theirs.a, 'secret')).toBeUndefined()
    expect(await store.savedQueries.list(mine.orgId, [theirs.a])).toEqual([])
    expect(await store.savedQueries.delete(mine.orgId, theirs.a, 'secret')).toBe(false)
    expect(await store.savedQueries.find(theirs.orgId, theirs.a, 'secret')).toBeDefined()
  })

  it('deletes one saved query by name; deleting it again finds nothing', async () => {
    const { orgId, a, b } = await world()
    await store.savedQueries.save(orgId, a, input('gone'), { replace: false })
    await store.savedQueries.save(orgId, b, input('gone'), { replace: false })
    expect(await store.savedQueries.delete(orgId, a, 'gone')).toBe(true)
    expect(await store.savedQueries.delete(orgId, a, 'gone')).toBe(false)
    expect(await store.savedQueries.find(orgId, a, 'gone')).toBeUndefined()
    expect(await store.savedQueries.find(orgId, b, 'gone')).toBeDefined()
  })

  it('refuses a mode other than standard or dev at the schema', async () => {
    const { orgId, a } = await world()
    await expect(
      store.savedQueries.save(orgId, a, input('odd', { mode: 'other' as 'dev' }), { replace: false }),
    ).rejects.toThrow()
  })

  it('goes with its project: deleting the project deletes its saved queries', async () => {
    const { orgId, a } = await world()
    await store.savedQueries.save(orgId, a, input('orphan'), { replace: false })
    await store.db.deleteFrom('projects').where('id', '=', a).execute()
    expect(await store.savedQueries.list(orgId, [a])).toEqual([])
  })
})
