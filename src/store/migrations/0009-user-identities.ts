import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/**
 * Upstream identities linked to users (SPEC §4.1), keyed by (provider, subject)
 * so that nothing but the provider's own user id can find a user, and the
 * sealed upstream tokens of each user and provider.
 */
export function userIdentities({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('user_identities')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('email', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('last_login_at', time)
        .addPrimaryKeyConstraint('user_identities_pk', ['provider', 'subject'])
        .execute()
      await db.schema.createIndex('user_identities_user').on('user_identities').column('user_id').execute()
      await db.schema
        .createTable('user_external_tokens')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('user_external_tokens_pk', ['user_id', 'provider'])
        .execute()
    },
  }
}
