import { sql } from 'kysely'
import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/** The `catalog` change counter: projects and their definitions. */
export function catalogCounter(_context: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`insert into store_counters (name, value) values ('catalog', 0)`.execute(db)
    },
  }
}
