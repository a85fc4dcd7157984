import { hash } from 'node:crypto'
import type { Store } from '../store/store.js'
import { projectFileSchema } from '../config/project-file-schema.js'
import type { ConnectionDefinition } from '../config/project-file-schema.js'
import type { Engine } from './engine.js'
import { EngineUnavailableError, openEngine } from './open-engine.js'
import type { OpenEngineOptions } from './open-engine.js'
import type { LoadedProject } from './project/loaded-project.js'

export interface DataPlaneOptions extends OpenEngineOptions {
  /** An engine unused this long is closed (its pool, its file handle); reopened on the next call. */
  readonly idleCloseMs?: number
}

interface OpenedEngine {
  readonly orgId: string
  readonly project: string
  readonly connection: string
  readonly engine: Promise<Engine>
  inUse: number
  lastUsed: number
}

export interface ConnectionHealth {
  readonly project: string
  readonly connection: string
  readonly status: 'ok' | 'unavailable'
  /** For operators (/readyz is not an agent's endpoint); never a password: URLs are not included. */
  readonly reason?: string
}

/**
 * The applied project definitions and the engines behind their connections,
 * per server process. Definitions are read once per organization and kept
 * until the store's `catalog` counter moves; engines open on first use, are
 * shared by concurrent calls, and are closed when idle or when their
 * connection's definition changed (never while a query is running on them).
 */
export class DataPlane implements AsyncDisposable {
  readonly #store: Store
  readonly #options: DataPlaneOptions
  #byOrg = new Map<string, Promise<LoadedProject[]>>()
  readonly #engines = new Map<string, OpenedEngine>()
  readonly #failures = new Map<string, ConnectionHealth>()
  readonly #sweeper: NodeJS.Timeout
  #closed = false

  constructor(store: Store, options: DataPlaneOptions) {
    this.#store = store
    this.#options = options
    const idle = options.idleCloseMs ?? 600_000
    this.#sweeper = setInterval(() => void this.#sweep(idle), Math.min(idle, 60_000))
    this.#sweeper.unref()
  }

  /** The org's projects among `ids` that have an applied definition, by name. */
  async projects(orgId: string, ids: readonly string[]): Promise<LoadedProject[]> {
    if (ids.length === 0) return []
    const all = await this.#load(orgId)
    const wanted = new Set(ids)
    return all.filter((p) => wanted.has(p.id))
  }

  /** Runs `work` on the engine of `connection`, kept open for the duration. */
  async use<T>(
    project: LoadedProject,
    connection: ConnectionDefinition,
    work: (engine: Engine) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new EngineUnavailableError(connection.name, 'the server is shutting down')
    const key = engineKey(project, connection)
    let opened = this.#engines.get(key)
    if (opened === undefined) {
      const engine = openEngine(connection, this.#options)
      opened = {
        orgId: project.orgId,
        project: project.name,
        connection: connection.name,
        engine,
        inUse: 0,
        lastUsed: Date.now(),
      }
      this.#engines.set(key, opened)
      const entry = opened
      engine.then(
        () => this.#failures.delete(`${project.name}/${connection.name}`),
        (error: unknown) => {
          // A failed open is not kept: the next call tries again (the database may be back).
          if (this.#engines.get(key) === entry) this.#engines.delete(key)
          this.#failures.set(`${project.name}/${connection.name}`, {
            project: project.name,
            connection: connection.name,
            status: 'unavailable',
            reason: error instanceof EngineUnavailableError ? error.reason : String(error),
          })
        },
      )
    }
    opened.inUse += 1
    try {
      return await work(await opened.engine)
    } finally {
      opened.inUse -= 1
      opened.lastUsed = Date.now()
    }
  }

  /** Open engines and the connections that failed to open, for `/readyz`. */
  async health(): Promise<ConnectionHealth[]> {
    const checks = [...this.#engines.values()].map(async (opened): Promise<ConnectionHealth> => {
      const base = { project: opened.project, connection: opened.connection }
      try {
        const problems = await (await opened.engine).check()
        return problems.length === 0
          ? { ...base, status: 'ok' }
          : { ...base, status: 'unavailable', reason: problems.join('; ') }
      } catch (error) {
        const reason = error instanceof EngineUnavailableError ? error.reason : 'the engine does not answer'
        return { ...base, status: 'unavailable', reason }
      }
    })
    return [...(await Promise.all(checks)), ...this.#failures.values()]
  }

  /** The catalog changed: definitions are read again; engines of changed connections close once idle. */
  clear(): void {
    this.#byOrg = new Map()
    this.#failures.clear()
    void this.#sweep(Number.POSITIVE_INFINITY, true)
  }

  #load(orgId: string): Promise<LoadedProject[]> {
    const cached = this.#byOrg.get(orgId)
    if (cached !== undefined) return cached
    const byOrg = this.#byOrg
    const loading = (async () => {
      const [projects, definitions] = await Promise.all([
        this.#store.projects.list(orgId),
        this.#store.projectDefinitions.listForOrg(orgId),
      ])
      const byId = new Map(definitions.map((d) => [d.project_id, d]))
      const out: LoadedProject[] = []
      for (const project of projects) {
        const stored = byId.get(project.id)
        if (stored === undefined) continue
        // Stored definitions were validated by `apply`; parsing again gives typed, frozen-shape values.
        const definition = projectFileSchema.parse(JSON.parse(stored.definition))
        out.push({ id: project.id, orgId, name: project.name, definition, digest: stored.digest })
      }
      return out
    })()
    byOrg.set(orgId, loading)
    loading.catch(() => byOrg.get(orgId) === loading && byOrg.delete(orgId))
    return loading
  }

  /**
   * Closes engines nobody is using that have been idle for `idleMs`, or, on a
   * catalog change, that no current definition names any more.
   */
  async #sweep(idleMs: number, catalogChanged = false): Promise<void> {
    const now = Date.now()
    let current: Set<string> | undefined
    if (catalogChanged) {
      current = new Set()
      const orgs = new Set([...this.#engines.values()].map((e) => e.orgId))
      const loaded = await Promise.all([...orgs].map((orgId) => this.#load(orgId).catch(() => [])))
      // Keys embed the connection's digest: a changed connection has a new key, and the old one is stale.
      for (const project of loaded.flat()) {
        for (const connection of project.definition.connections) current.add(engineKey(project, connection))
      }
    }
    for (const [key, opened] of this.#engines) {
      const stale = current !== undefined && !current.has(key)
      if (opened.inUse > 0 || (!stale && now - opened.lastUsed < idleMs)) continue
      this.#engines.delete(key)
      opened.engine.then((engine) => engine.close()).catch(() => {})
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#sweeper)
    const engines = [...this.#engines.values()]
    this.#engines.clear()
    await Promise.all(engines.map((e) => e.engine.then((engine) => engine.close()).catch(() => {})))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

const connectionDigests = new WeakMap<ConnectionDefinition, string>()

/** Definitions are replaced, never mutated, so a definition's digest is computed once. */
function engineKey(project: LoadedProject, connection: ConnectionDefinition): string {
  let digest = connectionDigests.get(connection)
  if (digest === undefined) {
    digest = hash('sha256', JSON.stringify(connection))
    connectionDigests.set(connection, digest)
  }
  return `${project.id}/${connection.name}/${digest}`
}
