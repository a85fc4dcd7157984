import { Kysely, Migrator, sql } from 'kysely'
import type { Database } from './database.js'
import { migrationProvider } from './migrations.js'
import type { StoreDialect } from './migrations.js'
import { createSqliteDialect } from './sqlite/sqlite-dialect.js'
import { createPostgresDialect } from './postgres/postgres-dialect.js'
import { GatehouseError } from '../domain/errors.js'
import { bumpCounter } from './store-counters.js'
import type { StoreCounter } from './store-counters.js'
import { OrgRepository } from './repositories/org-repository.js'
import { UserRepository } from './repositories/user-repository.js'
import { ProjectRepository } from './repositories/project-repository.js'
import { ProjectDefinitionRepository } from './repositories/project-definition-repository.js'
import { TenantRepository } from './repositories/tenant-repository.js'
import { ApiKeyRepository } from './repositories/api-key-repository.js'
import { SigningKeyRepository } from './repositories/signing-key-repository.js'
import { ProjectSecretRepository } from './repositories/project-secret-repository.js'
import { AuditRepository } from './repositories/audit-repository.js'
import { SavedQueryRepository } from './repositories/saved-query-repository.js'
import { OAuthRepository } from './repositories/oauth-repository.js'
import { ServerSecretRepository } from './repositories/server-secret-repository.js'
import { UserIdentityRepository } from './repositories/user-identity-repository.js'
import { UpstreamLoginRepository } from './repositories/upstream-login-repository.js'

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
  readonly projectDefinitions: ProjectDefinitionRepository
  readonly tenants: TenantRepository
  readonly apiKeys: ApiKeyRepository
  readonly signingKeys: SigningKeyRepository
  readonly projectSecrets: ProjectSecretRepository
  readonly audit: AuditRepository
  readonly savedQueries: SavedQueryRepository
  readonly oauth: OAuthRepository
  readonly serverSecrets: ServerSecretRepository
  readonly userIdentities: UserIdentityRepository
  readonly upstreamLogins: UpstreamLoginRepository
  #closed = false
  readonly #listeners: Record<StoreCounter, Set<() => void>> = { credentials: new Set(), catalog: new Set() }

  private constructor(db: Kysely<Database>, dialect: StoreDialect) {
    this.db = db
    this.dialect = dialect
    this.orgs = new OrgRepository(db, () => {
      this.#changed('credentials')
      this.#changed('catalog')
    })
    this.users = new UserRepository(db, () => this.#changed('credentials'))
    this.projects = new ProjectRepository(db, () => this.#changed('catalog'))
    this.projectDefinitions = new ProjectDefinitionRepository(db, () => this.#changed('catalog'))
    this.tenants = new TenantRepository(db)
    this.apiKeys = new ApiKeyRepository(db, () => this.#changed('credentials'))
    this.signingKeys = new SigningKeyRepository(db)
    this.projectSecrets = new ProjectSecretRepository(db, () => this.#changed('credentials'))
    this.audit = new AuditRepository(db, dialect)
    this.savedQueries = new SavedQueryRepository(db)
    this.oauth = new OAuthRepository(db, () => this.#changed('credentials'))
    this.serverSecrets = new ServerSecretRepository(db)
    this.userIdentities = new UserIdentityRepository(db)
    this.upstreamLogins = new UpstreamLoginRepository(db)
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
   * The change counters polled by every server process (SPEC §7): `credentials`
   * moves on every change that must fail a cached credential (revocation,
   * deactivation, deletion), `catalog` on every change to what tools list
   * (projects and their applied definitions). Each is bumped in the same transaction as the change.
   */
  async counters(): Promise<Record<StoreCounter, number>> {
    const rows = await this.db.selectFrom('store_counters').select(['name', 'value']).execute()
    const out: Record<StoreCounter, number> = { credentials: 0, catalog: 0 }
    for (const row of rows) if (row.name in out) out[row.name as StoreCounter] = Number(row.value)
    return out
  }

  async credentialEpoch(): Promise<number> {
    return (await this.counters()).credentials
  }

  async bumpCredentialEpoch(): Promise<void> {
    await bumpCounter(this.db, 'credentials')
    this.#changed('credentials')
  }

  /** Called after a change made through this process commits; other processes learn of it by polling. */
  onCredentialsChanged(listener: () => void): () => void {
    return this.onChange('credentials', listener)
  }

  onChange(counter: StoreCounter, listener: () => void): () => void {
    const listeners = this.#listeners[counter]
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  #changed(counter: StoreCounter): void {
    for (const listener of this.#listeners[counter]) listener()
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
