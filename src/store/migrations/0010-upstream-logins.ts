import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/**
 * Upstream sign-ins in flight (SPEC §4.1), kept in the store so that the
 * callback may reach any server instance. A row is either a pending login
 * (keyed by a hash of its `state`) or a completed one waiting to be taken back
 * onto its authorization request (keyed by a hash of a one-time id); each is
 * deleted as it is used.
 */
export function upstreamLogins({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('upstream_logins')
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('id_hash', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('interaction_uid', 'text', (c) => c.notNull())
        .addColumn('browser_hash', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('upstream_logins_pk', ['stage', 'id_hash'])
        .execute()
      await db.schema.createIndex('upstream_logins_expiry').on('upstream_logins').column('expires_at').execute()
    },
  }
}
