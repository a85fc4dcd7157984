import type { Store } from './store.js'
import type { Project } from './repositories/project-repository.js'

/**
 * Each organization's projects, read once and kept until the store's `catalog`
 * counter moves (a project created, renamed or deleted, here or in another
 * process): tools need them on nearly every call, and a store round trip per
 * call would cost more than the rest of the call.
 */
export class ProjectCatalog {
  readonly #store: Store
  readonly #maxOrgs: number
  #byOrg = new Map<string, Promise<ReadonlyMap<string, Project>>>()

  constructor(store: Store, maxOrgs = 10_000) {
    this.#store = store
    this.#maxOrgs = maxOrgs
  }

  /** The projects of `orgId` among `ids`, by name; ids of another org are simply absent. */
  async projects(orgId: string, ids: readonly string[]): Promise<Project[]> {
    if (ids.length === 0) return []
    const all = await this.#load(orgId)
    const out: Project[] = []
    for (const id of ids) {
      const project = all.get(id)
      if (project !== undefined) out.push(project)
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  clear(): void {
    this.#byOrg = new Map()
  }

  #load(orgId: string): Promise<ReadonlyMap<string, Project>> {
    const cached = this.#byOrg.get(orgId)
    if (cached !== undefined) return cached
    if (this.#byOrg.size >= this.#maxOrgs) {
      const oldest = this.#byOrg.keys().next().value
      if (oldest !== undefined) this.#byOrg.delete(oldest)
    }
    const byOrg = this.#byOrg
    const loading = this.#store.projects.list(orgId).then((rows) => new Map(rows.map((p) => [p.id, p])))
    byOrg.set(orgId, loading)
    // A failed read is not remembered; the next call tries again.
    loading.catch(() => byOrg.get(orgId) === loading && byOrg.delete(orgId))
    return loading
  }
}
