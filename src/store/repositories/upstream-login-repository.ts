import type { Kysely, Selectable } from 'kysely'
import type { Database, UpstreamLoginTable } from '../database.js'

export type UpstreamLoginRow = Selectable<UpstreamLoginTable>
export type UpstreamLoginStage = UpstreamLoginTable['stage']

/**
 * Upstream sign-ins in flight (SPEC §4.1), shared by every server instance.
 * Ids arrive hashed. A row is used by deleting it (`take`), so of two requests
 * presenting the same `state` or completion id only one gets it.
 */
export class UpstreamLoginRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async insert(row: UpstreamLoginRow): Promise<void> {
    await this.#db.insertInto('upstream_logins').values(row).execute()
  }

  async find(stage: UpstreamLoginStage, idHash: string): Promise<UpstreamLoginRow | undefined> {
    const row = await this.#db
      .selectFrom('upstream_logins')
      .selectAll()
      .where('stage', '=', stage)
      .where('id_hash', '=', idHash)
      .executeTakeFirst()
    return row === undefined ? undefined : { ...row, expires_at: Number(row.expires_at) }
  }

  /** Removes the row and returns it, expired or not (the caller checks `expires_at`); undefined when there is none. */
  async take(stage: UpstreamLoginStage, idHash: string): Promise<UpstreamLoginRow | undefined> {
    const row = await this.#db
      .deleteFrom('upstream_logins')
      .where('stage', '=', stage)
      .where('id_hash', '=', idHash)
      .returningAll()
      .executeTakeFirst()
    return row === undefined ? undefined : { ...row, expires_at: Number(row.expires_at) }
  }

  /** Sign-ins abandoned at the provider leave their pending row behind. */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.#db.deleteFrom('upstream_logins').where('expires_at', '<', now).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
