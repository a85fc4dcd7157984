import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/** Project secrets (SPEC §4.3): what an embedding backend mints project tokens with; hashed at rest. */
export function projectSecrets({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('project_secrets')
        // `ps_<12-char id>`: the visible part of the secret, safe to show, log and audit.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('max_permissions', 'text', (c) => c.notNull())
        .addColumn('allow_org_users', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('revoked_at', time)
        .execute()
      await db.schema.createIndex('project_secrets_project').on('project_secrets').column('project_id').execute()
    },
  }
}
