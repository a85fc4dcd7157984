import type { Kysely, Selectable } from 'kysely'
import type { Database, OAuthClientTable, OAuthGrantTable, OAuthObjectTable } from '../database.js'
import { bumpCounter } from '../store-counters.js'

export type OAuthObjectRow = Selectable<OAuthObjectTable>
export type OAuthClientRow = Selectable<OAuthClientTable>
export type OAuthGrantRow = Selectable<OAuthGrantTable>

/**
 * The authorization server's rows. Every id arrives here already hashed: this
 * repository never sees a code, token or cookie value. Server-wide except
 * grants, which belong to one org and user and are listed by them.
 */
export class OAuthRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  /** `credentialsChanged` runs after a disconnection commits: this process drops cached tokens at once. */
  constructor(db: Kysely<Database>, credentialsChanged: () => void) {
    this.#db = db
    this.#changed = credentialsChanged
  }

  // ---- oidc-provider objects

  async upsertObject(row: OAuthObjectRow): Promise<void> {
    const { model: _model, id_hash: _id, ...update } = row
    await this.#db
      .insertInto('oauth_objects')
      .values(row)
      .onConflict((oc) => oc.columns(['model', 'id_hash']).doUpdateSet(update))
      .execute()
  }

  findObject(model: string, idHash: string): Promise<OAuthObjectRow | undefined> {
    return this.#db
      .selectFrom('oauth_objects')
      .selectAll()
      .where('model', '=', model)
      .where('id_hash', '=', idHash)
      .executeTakeFirst()
  }

  findObjectByUid(model: string, uidHash: string): Promise<OAuthObjectRow | undefined> {
    return this.#db
      .selectFrom('oauth_objects')
      .selectAll()
      .where('model', '=', model)
      .where('uid_hash', '=', uidHash)
      .executeTakeFirst()
  }

  async consumeObject(model: string, idHash: string, now: number): Promise<void> {
    await this.#db
      .updateTable('oauth_objects')
      .set({ consumed_at: now })
      .where('model', '=', model)
      .where('id_hash', '=', idHash)
      .where('consumed_at', 'is', null)
      .execute()
  }

  async destroyObject(model: string, idHash: string): Promise<void> {
    await this.#db.deleteFrom('oauth_objects').where('model', '=', model).where('id_hash', '=', idHash).execute()
  }

  /** Expired rows are dead weight: oidc-provider treats them as absent. */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.#db.deleteFrom('oauth_objects').where('expires_at', '<', now).executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  // ---- refresh-token chains (SPEC §4.1)

  chain(grantId: string): Promise<{ current_hash: string; previous_hash: string | null } | undefined> {
    return this.#db
      .selectFrom('oauth_refresh_chains')
      .select(['current_hash', 'previous_hash'])
      .where('grant_id', '=', grantId)
      .executeTakeFirst()
  }

  async setChain(grantId: string, currentHash: string, previousHash: string | null): Promise<void> {
    await this.#db
      .insertInto('oauth_refresh_chains')
      .values({ grant_id: grantId, current_hash: currentHash, previous_hash: previousHash })
      .onConflict((oc) => oc.column('grant_id').doUpdateSet({ current_hash: currentHash, previous_hash: previousHash }))
      .execute()
  }

  /**
   * The previous token presented again while its successor is still unused:
   * the successor is dropped and the previous token becomes current again, in
   * one transaction, so two such requests cannot both branch the chain.
   * Returns false when the chain moved meanwhile (the caller then refuses).
   */
  async rewindChain(grantId: string, previousHash: string, successorHash: string): Promise<boolean> {
    return this.#db
      .transaction()
      .execute(async (trx) => {
        const successor = await trx
          .deleteFrom('oauth_objects')
          .where('model', '=', 'RefreshToken')
          .where('id_hash', '=', successorHash)
          .where('consumed_at', 'is', null)
          .executeTakeFirst()
        if (Number(successor.numDeletedRows) !== 1) return false
        const moved = await trx
          .updateTable('oauth_refresh_chains')
          .set({ current_hash: previousHash, previous_hash: null })
          .where('grant_id', '=', grantId)
          .where('current_hash', '=', successorHash)
          .where('previous_hash', '=', previousHash)
          .executeTakeFirst()
        if (Number(moved.numUpdatedRows) !== 1) throw new ChainMoved()
        await trx
          .updateTable('oauth_objects')
          .set({ consumed_at: null })
          .where('model', '=', 'RefreshToken')
          .where('id_hash', '=', previousHash)
          .execute()
        return true
      })
      .catch((error: unknown) => {
        if (error instanceof ChainMoved) return false
        throw error
      })
  }

  // ---- grants (Connected Applications)

  /**
   * Removes every object of a grant. `reason` (a disconnection, or reuse of a
   * refresh token) also marks the Connected Application disconnected, which
   * fails every access token of it though the JWTs are still valid.
   */
  async revokeGrant(grantId: string, reason?: string, now = Date.now()): Promise<boolean> {
    const disconnected = await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oauth_objects').where('grant_id', '=', grantId).execute()
      await trx.deleteFrom('oauth_refresh_chains').where('grant_id', '=', grantId).execute()
      if (reason === undefined) return false
      const result = await trx
        .updateTable('oauth_grants')
        .set({ disconnected_at: now, disconnect_reason: reason })
        .where('id', '=', grantId)
        .where('disconnected_at', 'is', null)
        .executeTakeFirst()
      const changed = Number(result.numUpdatedRows) > 0
      if (changed) await bumpCounter(trx, 'credentials')
      return changed
    })
    if (disconnected) this.#changed()
    return disconnected
  }

  async insertGrant(row: OAuthGrantRow): Promise<void> {
    await this.#db
      .insertInto('oauth_grants')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          org_id: row.org_id,
          user_id: row.user_id,
          project_ids: row.project_ids,
          scopes: row.scopes,
          client_name: row.client_name,
        }),
      )
      .execute()
  }

  findGrant(id: string): Promise<OAuthGrantRow | undefined> {
    return this.#db.selectFrom('oauth_grants').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** A user's Connected Applications in one org, live ones first. */
  listGrants(orgId: string, userId?: string): Promise<OAuthGrantRow[]> {
    let query = this.#db.selectFrom('oauth_grants').selectAll().where('org_id', '=', orgId)
    if (userId !== undefined) query = query.where('user_id', '=', userId)
    return query.orderBy('disconnected_at', 'desc').orderBy('created_at', 'desc').orderBy('id').execute()
  }

  async touchGrant(id: string, now: number): Promise<void> {
    await this.#db.updateTable('oauth_grants').set({ last_used_at: now }).where('id', '=', id).execute()
  }

  // ---- clients

  async insertClient(row: OAuthClientRow): Promise<void> {
    await this.#db
      .insertInto('oauth_clients')
      .values(row)
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ metadata: row.metadata, secret_hash: row.secret_hash }))
      .execute()
  }

  findClient(clientId: string): Promise<OAuthClientRow | undefined> {
    return this.#db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst()
  }

  findClientByFingerprint(fingerprint: string): Promise<OAuthClientRow | undefined> {
    return this.#db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('fingerprint', '=', fingerprint)
      .orderBy('created_at')
      .executeTakeFirst()
  }

  listClients(): Promise<OAuthClientRow[]> {
    return this.#db.selectFrom('oauth_clients').selectAll().orderBy('created_at').orderBy('client_id').execute()
  }

  async markClientGranted(clientId: string, now: number): Promise<void> {
    await this.#db
      .updateTable('oauth_clients')
      .set({ first_grant_at: now })
      .where('client_id', '=', clientId)
      .where('first_grant_at', 'is', null)
      .execute()
  }

  /** Deletes a client and revokes every grant of it. */
  async deleteClient(clientId: string, now = Date.now()): Promise<boolean> {
    const grants = await this.#db
      .selectFrom('oauth_grants')
      .select('id')
      .where('client_id', '=', clientId)
      .where('disconnected_at', 'is', null)
      .execute()
    for (const grant of grants) await this.revokeGrant(grant.id, 'client_deleted', now)
    const result = await this.#db.deleteFrom('oauth_clients').where('client_id', '=', clientId).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  /** Dynamic registrations that never completed a grant, older than `before`: reaped. */
  async reapClients(before: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('oauth_clients')
      .where('origin', '=', 'dynamic')
      .where('first_grant_at', 'is', null)
      .where('created_at', '<', before)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  /** Registrations from one source since `since` (the registration rate limit survives restarts and instances). */
  async countRegistrations(source: string, since: number): Promise<number> {
    const row = await this.#db
      .selectFrom('oauth_clients')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('registered_from', '=', source)
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
}

class ChainMoved extends Error {}
