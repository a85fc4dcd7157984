import type { Kysely, Selectable } from 'kysely'
import type { Database, SigningKeyTable } from '../database.js'

export type SigningKeyRow = Selectable<SigningKeyTable>

/**
 * The signing keys every server instance shares. Server-wide, not scoped by
 * org: one issuer signs for every organization. Rows hold private key
 * material; nothing here logs or returns it except to the signing service.
 */
export class SigningKeyRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** Every key still stored, newest first. */
  list(): Promise<SigningKeyRow[]> {
    return this.#db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute()
  }

  /**
   * Makes `key` the current key. The first key goes in alone; a unique index on
   * the current key makes a concurrent insert by another instance fail, and the
   * caller then reads the winner's key. Returns whether `key` became current.
   */
  async insertFirst(key: SigningKeyRow): Promise<boolean> {
    const result = await this.#db
      .insertInto('signing_keys')
      .values(key)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0
  }

  /**
   * Retires the current key and makes `key` current, in one transaction; keys
   * retired before `dropBefore` (no token they signed can still be valid) are
   * deleted with their private parts.
   */
  async rotate(key: SigningKeyRow, dropBefore: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('signing_keys')
        .set({ retired_at: key.created_at })
        .where('alg', '=', key.alg)
        .where('retired_at', 'is', null)
        .execute()
      await trx.insertInto('signing_keys').values(key).execute()
      await trx.deleteFrom('signing_keys').where('retired_at', '<', dropBefore).execute()
    })
  }
}
