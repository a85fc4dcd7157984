import type { Kysely, Migration } from 'kysely'
import type { MigrationContext } from './migration-context.js'

/**
 * The authorization server's state (SPEC §4.1). `oauth_objects` holds what
 * oidc-provider persists (codes, refresh tokens, sessions, interactions,
 * grants), keyed by a hash of the id: a stolen store yields no usable code,
 * token or session cookie. Clients, Connected Applications and refresh chains
 * are Gatehouse's own tables.
 */
export function oauth({ time }: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('oauth_objects')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id_hash', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid_hash', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('expires_at', time)
        .addColumn('consumed_at', time)
        .addPrimaryKeyConstraint('oauth_objects_pk', ['model', 'id_hash'])
        .execute()
      await db.schema.createIndex('oauth_objects_grant').on('oauth_objects').column('grant_id').execute()
      await db.schema.createIndex('oauth_objects_uid').on('oauth_objects').column('uid_hash').execute()
      await db.schema.createIndex('oauth_objects_expiry').on('oauth_objects').column('expires_at').execute()

      await db.schema
        .createTable('oauth_clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        // The registered metadata without the secret (JSON).
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text')
        // `dynamic` (RFC 7591 registration) or `operator` (`gatehouse clients create`).
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('registered_from', 'text')
        // Identical registrations of a public client from one source share this value (de-duplication).
        .addColumn('fingerprint', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        // Set when a grant is first completed; dynamic clients without one are reaped after a TTL.
        .addColumn('first_grant_at', time)
        .execute()
      await db.schema.createIndex('oauth_clients_fingerprint').on('oauth_clients').column('fingerprint').execute()

      await db.schema
        .createTable('oauth_grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_name', 'text', (c) => c.notNull())
        // JSON array of project ids chosen at consent.
        .addColumn('project_ids', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('last_used_at', time)
        .addColumn('disconnected_at', time)
        .addColumn('disconnect_reason', 'text')
        .execute()
      await db.schema.createIndex('oauth_grants_user').on('oauth_grants').columns(['org_id', 'user_id']).execute()

      await db.schema
        .createTable('oauth_refresh_chains')
        .addColumn('grant_id', 'text', (c) => c.primaryKey())
        .addColumn('current_hash', 'text', (c) => c.notNull())
        .addColumn('previous_hash', 'text')
        .execute()

      // Random server-wide secrets (cookie signing, sealing upstream tokens), shared by every instance.
      await db.schema
        .createTable('server_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .execute()
    },
  }
}
