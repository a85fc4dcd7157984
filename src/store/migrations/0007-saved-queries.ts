import { sql } from 'kysely'
import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/** Saved queries (SPEC §2): named standard-mode or dev-mode queries of a project, unique by name in it. */
export function savedQueries({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('saved_queries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .addUniqueConstraint('saved_queries_project_name_unique', ['project_id', 'name'])
        .addCheckConstraint('saved_queries_mode_check', sql`mode in ('standard', 'dev')`)
        .execute()
      await db.schema.createIndex('saved_queries_org').on('saved_queries').column('org_id').execute()
    },
  }
}
