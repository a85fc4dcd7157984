import { sql } from 'kysely'
import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/**
 * ES256 signing keys shared by every server instance (SPEC §7). The private
 * key is kept as a JWK: the store must be protected like a secret.
 */
export function signingKeys({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('retired_at', time)
        .execute()
      // One current key per algorithm: two instances that create the first key at once cannot both win.
      await db.schema
        .createIndex('signing_keys_one_current')
        .on('signing_keys')
        .column('alg')
        .unique()
        .where(sql.ref('retired_at'), 'is', null)
        .execute()
    },
  }
}
