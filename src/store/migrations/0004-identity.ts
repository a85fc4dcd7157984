import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/**
 * Tenants of an embedding product (SPEC §2), and a status per membership:
 * deactivating a user in one organization must not touch their others.
 */
export function identity({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', time, (c) => c.notNull())
        .addUniqueConstraint('tenants_org_name_unique', ['org_id', 'name'])
        .execute()
      await db.schema
        .alterTable('memberships')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .execute()
    },
  }
}
