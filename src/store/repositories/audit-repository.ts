import { CompiledQuery } from 'kysely'
import type { Insertable, Kysely, Selectable } from 'kysely'
import type { StoreDialect } from '../migrations.js'
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

// 500 rows × 8 columns stays under SQLite's and PostgreSQL's limits on bound parameters.
const APPEND_CHUNK = 500

export class AuditRepository {
  readonly #db: Kysely<Database>
  readonly #dialect: StoreDialect
  readonly #insertTexts = new Map<number, string>()
  constructor(db: Kysely<Database>, dialect: StoreDialect) {
    this.#db = db
    this.#dialect = dialect
  }

  /**
   * Appends a batch in one transaction, up to 500 rows per statement. The SQL
   * text is built once per row count and handed to the driver as is: building a
   * multi-row insert through the query builder costs more per row than the
   * insert itself.
   */
  async append(rows: readonly NewAuditRow[]): Promise<void> {
    if (rows.length === 0) return
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += APPEND_CHUNK) {
        const chunk = rows.slice(i, i + APPEND_CHUNK)
        const params: unknown[] = []
        for (const r of chunk) params.push(r.chain_id, r.chain_seq, r.at, r.type, r.org_id, r.data, r.prev_hash, r.hash)
        await trx.executeQuery(CompiledQuery.raw(this.#insertText(chunk.length), params))
      }
    })
  }

  #insertText(rowCount: number): string {
    let text = this.#insertTexts.get(rowCount)
    if (text === undefined) {
      const tuples: string[] = []
      for (let row = 0; row < rowCount; row++) {
        const marks = Array.from({ length: 8 }, (_, col) =>
          this.#dialect === 'postgres' ? `$${row * 8 + col + 1}` : '?',
        )
        tuples.push(`(${marks.join(',')})`)
      }
      text = `insert into audit_events (chain_id, chain_seq, at, type, org_id, data, prev_hash, hash) values ${tuples.join(',')}`
      this.#insertTexts.set(rowCount, text)
    }
    return text
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
