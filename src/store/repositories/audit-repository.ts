import type { Insertable, Kysely, Selectable } from 'kysely'
import type { AuditEventTable, Database } from '../database.js'

export type AuditRow = Selectable<AuditEventTable>
export type NewAuditRow = Omit<Insertable<AuditEventTable>, 'id'>

export interface AuditQuery {
  readonly orgId?: string
  readonly since?: number
  readonly type?: string
  /** Paging: only records with a smaller id. */
  readonly beforeId?: number
  readonly limit?: number
}

export class AuditRepository {
  readonly #db: Kysely<Database>
  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async append(rows: readonly NewAuditRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.#db.transaction().execute(async (trx) => {
      // SQLite caps bound variables per statement; 100 rows × 8 columns stays well under it.
      for (let i = 0; i < rows.length; i += 100) {
        await trx
          .insertInto('audit_events')
          .values(rows.slice(i, i + 100) as NewAuditRow[])
          .execute()
      }
    })
  }

  /** The last record of a chain: where a writer resumes. */
  head(chainId: string): Promise<AuditRow | undefined> {
    return this.#db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain_id', '=', chainId)
      .orderBy('chain_seq', 'desc')
      .limit(1)
      .executeTakeFirst()
  }

  async heads(): Promise<AuditRow[]> {
    const last = this.#db
      .selectFrom('audit_events')
      .select(['chain_id'])
      .select((eb) => eb.fn.max('chain_seq').as('max_seq'))
      .groupBy('chain_id')
      .as('last')
    return this.#db
      .selectFrom('audit_events')
      .innerJoin(last, (join) =>
        join.onRef('last.chain_id', '=', 'audit_events.chain_id').onRef('last.max_seq', '=', 'audit_events.chain_seq'),
      )
      .selectAll('audit_events')
      .orderBy('audit_events.chain_id')
      .execute()
  }

  async chainIds(): Promise<string[]> {
    const rows = await this.#db.selectFrom('audit_events').select('chain_id').distinct().orderBy('chain_id').execute()
    return rows.map((r) => r.chain_id)
  }

  /** A chain in order, a page at a time, for verification. */
  chainPage(chainId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.#db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain_id', '=', chainId)
      .where('chain_seq', '>', afterSeq)
      .orderBy('chain_seq')
      .limit(limit)
      .execute()
  }

  /** Newest first, a page at a time. Filters on fields inside `data` are applied by the caller (it is JSON text). */
  query(filter: AuditQuery): Promise<AuditRow[]> {
    let q = this.#db.selectFrom('audit_events').selectAll()
    if (filter.orgId !== undefined) q = q.where('org_id', '=', filter.orgId)
    if (filter.since !== undefined) q = q.where('at', '>=', filter.since)
    if (filter.type !== undefined) q = q.where('type', '=', filter.type)
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId)
    q = q.orderBy('id', 'desc')
    return (filter.limit === undefined ? q : q.limit(filter.limit)).execute()
  }

  /** Deletes a chain's records before `seq` (retention); returns how many went. */
  async deleteBefore(chainId: string, seq: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('audit_events')
      .where('chain_id', '=', chainId)
      .where('chain_seq', '<', seq)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  /** The first record of a chain at or after `at`. */
  firstAtOrAfter(chainId: string, at: number): Promise<AuditRow | undefined> {
    return this.#db
      .selectFrom('audit_events')
      .selectAll()
      .where('chain_id', '=', chainId)
      .where('at', '>=', at)
      .orderBy('chain_seq')
      .limit(1)
      .executeTakeFirst()
  }
}
