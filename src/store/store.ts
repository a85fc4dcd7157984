import { Kysely, Migrator, sql } from 'kysely'
import type { Database } from './database.js'
import { migrationProvider } from './migrations.js'
import type { StoreDialect } from './migrations.js'
import { createSqliteDialect } from './sqlite/sqlite-dialect.js'
import { createPostgresDialect } from './postgres/postgres-dialect.js'
import { GatehouseError } from '../domain/errors.js'
import { OrgRepository } from './repositories/org-repository.js'
import { UserRepository } from './repositories/user-repository.js'
import { ProjectRepository } from './repositories/project-repository.js'
import { ApiKeyRepository } from './repositories/api-key-repository.js'
import { AuditRepository } from './repositories/audit-repository.js'

export function dialectOf(url: string): StoreDialect {
  if (url.startsWith('sqlite:')) return 'sqlite'
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres'
  throw new GatehouseError('STORE_UNAVAILABLE', 'store.url must start with sqlite: or postgres://')
}

/**
 * The state store: one Kysely instance over SQLite or PostgreSQL, and one
 * repository per aggregate. Repositories that read tenant data take the org id
 * of the authenticated principal as their first argument.
 */
export class Store implements AsyncDisposable {
  readonly db: Kysely<Database>
  readonly dialect: StoreDialect
  readonly orgs: OrgRepository
  readonly users: UserRepository
  readonly projects: ProjectRepository
  readonly apiKeys: ApiKeyRepository
  readonly audit: AuditRepository
  #closed = false
  readonly #credentialListeners = new Set<() => void>()

  private constructor(db: Kysely<Database>, dialect: StoreDialect) {
    this.db = db
    this.dialect = dialect
    this.orgs = new OrgRepository(db)
    this.users = new UserRepository(db)
    this.projects = new ProjectRepository(db)
    this.apiKeys = new ApiKeyRepository(db, () => this.#credentialsChanged())
    this.audit = new AuditRepository(db)
  }

  static open(url: string, options: { poolSize?: number } = {}): Store {
    const dialect = dialectOf(url)
    if (dialect === 'sqlite') return new Store(new Kysely<Database>({ dialect: createSqliteDialect(url) }), dialect)
    const { dialect: pgDialect } = createPostgresDialect(url, options.poolSize)
    return new Store(new Kysely<Database>({ dialect: pgDialect }), dialect)
  }

  /** Brings the schema up to date; safe to run from several processes at once (Kysely takes a lock). */
  async migrate(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider(this.dialect) })
    const { error, results } = await migrator.migrateToLatest()
    if (error !== undefined) {
      throw new GatehouseError('STORE_UNAVAILABLE', 'The store schema could not be migrated', { cause: error })
    }
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db)
  }

  /**
   * The revocation counter of SPEC §7: every change that must fail a cached
   * credential (revocation, deactivation, deletion) increments it in the same
   * store, so every server process notices by polling one row.
   */
  async credentialEpoch(): Promise<number> {
    const row = await this.db
      .selectFrom('store_counters')
      .select('value')
      .where('name', '=', 'credentials')
      .executeTakeFirst()
    return Number(row?.value ?? 0)
  }

  async bumpCredentialEpoch(): Promise<void> {
    await this.db
      .updateTable('store_counters')
      .set((eb) => ({ value: eb('value', '+', 1) }))
      .where('name', '=', 'credentials')
      .execute()
    this.#credentialsChanged()
  }

  /** Called after a change made through this process commits; other processes learn of it by polling. */
  onCredentialsChanged(listener: () => void): () => void {
    this.#credentialListeners.add(listener)
    return () => this.#credentialListeners.delete(listener)
  }

  #credentialsChanged(): void {
    for (const listener of this.#credentialListeners) listener()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.db.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
