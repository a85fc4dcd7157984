import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/** Applied project files (SPEC §3.2). */
export function projectDefinitions({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('project_definitions')
        .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('applied_at', time, (c) => c.notNull())
        .addColumn('applied_by', 'text')
        .execute()
      await db.schema.createIndex('project_definitions_org').on('project_definitions').column('org_id').execute()
    },
  }
}
