import type { Kysely, Selectable } from 'kysely'
import type { ApiKeyTable, Database } from '../database.js'
import { bumpCounter } from '../store-counters.js'

export type ApiKeyRow = Selectable<ApiKeyTable>

/**
 * API key rows. Lookups by id serve authentication (the key itself names its
 * id); listings are scoped by org. Revocation bumps the store's credential
 * counter in the same transaction, so every server process drops the key from
 * its cache within the revocation bound.
 */
export class ApiKeyRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  /** `credentialsChanged` runs after a revocation commits: this process drops cached credentials at once. */
  constructor(db: Kysely<Database>, credentialsChanged: () => void) {
    this.#db = db
    this.#changed = credentialsChanged
  }

  async insert(row: ApiKeyRow): Promise<void> {
    await this.#db.insertInto('api_keys').values(row).execute()
  }

  findById(id: string): Promise<ApiKeyRow | undefined> {
    return this.#db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
  }

  list(orgId: string): Promise<ApiKeyRow[]> {
    return this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  }

  /**
   * Revokes for good: a revoked key keeps its row (it stays in the list) and
   * `revoked_at` is never cleared. Returns the row and whether this call revoked
   * it, or undefined when no key of that org has that id. Revoking twice keeps
   * the first time (the update only matches a key that is not yet revoked, so
   * two concurrent revocations cannot both win).
   */
  async revoke(
    orgId: string | null,
    id: string,
    now = Date.now(),
  ): Promise<{ row: ApiKeyRow; changed: boolean } | undefined> {
    const result = await this.#db.transaction().execute(async (trx) => {
      let update = trx
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
      if (orgId !== null) update = update.where('org_id', '=', orgId)
      const { numUpdatedRows } = await update.executeTakeFirstOrThrow()
      const changed = numUpdatedRows > 0n
      if (changed) {
        await bumpCounter(trx, 'credentials')
      }
      let query = trx.selectFrom('api_keys').selectAll().where('id', '=', id)
      if (orgId !== null) query = query.where('org_id', '=', orgId)
      const row = await query.executeTakeFirst()
      return row === undefined ? undefined : { row, changed }
    })
    if (result?.changed === true) this.#changed()
    return result
  }

  /** Writes the `last_used_at` values gathered in memory since the last flush, one statement per key. */
  async recordLastUsed(entries: ReadonlyMap<string, number>): Promise<void> {
    if (entries.size === 0) return
    await this.#db.transaction().execute(async (trx) => {
      for (const [id, at] of entries) {
        await trx
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('id', '=', id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
          .execute()
      }
    })
  }

  /** Used by tests and benchmarks that need many keys. */
  async count(): Promise<number> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
}
