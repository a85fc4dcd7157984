import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../test/support/test-stores.js'
import { Store } from './store.js'
import { ProjectCatalog } from './project-catalog.js'
import { StoreChangeWatcher } from './change-watcher.js'

describe.each(BACKENDS)('ProjectCatalog with a StoreChangeWatcher on %s', (backend) => {
  let location: TestStoreUrl
  let here: Store
  let elsewhere: Store

  beforeEach(async () => {
    location = await freshStoreUrl(backend)
    here = Store.open(location.url)
    await here.migrate()
    // A second Store on the same database stands for another process (the CLI, another worker).
    elsewhere = Store.open(location.url)
  })
  afterEach(async () => {
    await here.close()
    await elsewhere.close()
    await location.dispose()
  })

  it('serves a project list from memory until the catalog counter moves', async () => {
    const org = await here.orgs.create('acme')
    const a = await here.projects.create(org.id, 'alpha')
    const catalog = new ProjectCatalog(here)
    expect((await catalog.projects(org.id, [a.id])).map((p) => p.name)).toEqual(['alpha'])
    // Renaming behind the store's back (no counter bump) proves the second answer comes from memory.
    await here.db.updateTable('projects').set({ name: 'renamed' }).where('id', '=', a.id).execute()
    expect((await catalog.projects(org.id, [a.id])).map((p) => p.name)).toEqual(['alpha'])
    catalog.clear()
    expect((await catalog.projects(org.id, [a.id])).map((p) => p.name)).toEqual(['renamed'])
  })

  it('sees a project created in this process at once', async () => {
    const org = await here.orgs.create('acme')
    const catalog = new ProjectCatalog(here)
    await using _watcher = new StoreChangeWatcher(
      here,
      { credentials: () => {}, catalog: () => catalog.clear() },
      60_000,
    )
    expect(await catalog.projects(org.id, ['prj_missing'])).toEqual([])
    const b = await here.projects.create(org.id, 'beta')
    expect((await catalog.projects(org.id, [b.id])).map((p) => p.name)).toEqual(['beta'])
  })

  it('sees a project created by another process at the next poll', async () => {
    const org = await here.orgs.create('acme')
    const catalog = new ProjectCatalog(here)
    const watcher = new StoreChangeWatcher(here, { credentials: () => {}, catalog: () => catalog.clear() }, 60_000)
    try {
      await watcher.poll()
      expect(await catalog.projects(org.id, [])).toEqual([])
      await catalog.projects(org.id, ['x'])
      const c = await elsewhere.projects.create(org.id, 'gamma')
      expect(await catalog.projects(org.id, [c.id])).toEqual([])
      await watcher.poll()
      expect((await catalog.projects(org.id, [c.id])).map((p) => p.name)).toEqual(['gamma'])
    } finally {
      await watcher.close()
    }
  })

  it('never returns a project of another organization, even by its exact id', async () => {
    const a = await here.orgs.create('a')
    const b = await here.orgs.create('b')
    const theirs = await here.projects.create(b.id, 'theirs')
    const catalog = new ProjectCatalog(here)
    expect(await catalog.projects(a.id, [theirs.id])).toEqual([])
  })

  it('runs every handler when the store cannot be read (fail closed)', async () => {
    const cleared: string[] = []
    const watcher = new StoreChangeWatcher(
      elsewhere,
      { credentials: () => cleared.push('credentials'), catalog: () => cleared.push('catalog') },
      60_000,
    )
    await watcher.poll()
    await elsewhere.close()
    await watcher.poll()
    await watcher.close()
    expect(cleared).toEqual(['credentials', 'catalog'])
  })
})
