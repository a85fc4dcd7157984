import type { Migration, MigrationProvider } from 'kysely'
import { migrationContext } from './migrations/migration-context.js'
import type { MigrationContext, StoreDialect } from './migrations/migration-context.js'
import { core } from './migrations/0001-core.js'
import { catalogCounter } from './migrations/0002-catalog-counter.js'
import { projectDefinitions } from './migrations/0003-project-definitions.js'
import { identity } from './migrations/0004-identity.js'
import { signingKeys } from './migrations/0005-signing-keys.js'
import { projectSecrets } from './migrations/0006-project-secrets.js'
import { savedQueries } from './migrations/0007-saved-queries.js'
import { oauth } from './migrations/0008-oauth.js'
import { userIdentities } from './migrations/0009-user-identities.js'
import { upstreamLogins } from './migrations/0010-upstream-logins.js'

export type { StoreDialect }

/** Every migration, in order; one file each under `migrations/`. Names are stored: never rename one. */
const MIGRATIONS: readonly (readonly [string, (context: MigrationContext) => Migration])[] = [
  ['0001_core', core],
  ['0002_catalog_counter', catalogCounter],
  ['0003_project_definitions', projectDefinitions],
  ['0004_identity', identity],
  ['0005_signing_keys', signingKeys],
  ['0006_project_secrets', projectSecrets],
  ['0007_saved_queries', savedQueries],
  ['0008_oauth', oauth],
  ['0009_user_identities', userIdentities],
  ['0010_upstream_logins', upstreamLogins],
]

/** The names of every migration, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map(([name]) => name)

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  const context = migrationContext(dialect)
  return { getMigrations: async () => Object.fromEntries(MIGRATIONS.map(([name, up]) => [name, up(context)])) }
}
