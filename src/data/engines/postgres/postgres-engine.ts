import pg from 'pg'
import { GatehouseError } from '../../../domain/errors.js'
import type {
  Engine,
  GuardOptions,
  QueryOptions,
  QueryResult,
  RestrictedQueryOptions,
  RestrictedQueryResult,
  RewriteOptions,
  TableInfo,
  TableRef,
} from '../../engine.js'
import type { RewrittenQuery } from '../../sql/restrictions.js'
import { QUERY_DATA_ERROR, QUERY_ENGINE_ERROR, QUERY_STOPPED, QueryFailedError } from '../../query-failed-error.js'
import { parsePostgres } from '../../sql/postgres/postgres-parser.js'
import { guardPostgresSelect } from '../../sql/postgres/postgres-guard.js'
import type { PostgresCatalog } from '../../sql/postgres/postgres-guard.js'
import { PostgresPlanCache } from '../../sql/postgres/postgres-plan-cache.js'

export interface PostgresEngineOptions {
  readonly statementTimeoutMs: number
  readonly maxConnections?: number
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast']

// int8 and numeric keep their exact text (pg's default); counts that fit a double become numbers below.
const BIGINT_OID = 20

/**
 * A PostgreSQL connection through a pool. Every query runs in its own
 * `READ ONLY` transaction with `statement_timeout`, through a cursor so that at
 * most `maxRows + 1` rows are ever read. `check()` says why the role must not
 * be used (superuser, BYPASSRLS, owner of tables, able to write): row-level
 * security and read-only access would not hold for such a role.
 */
export class PostgresEngine implements Engine {
  readonly kind = 'postgres'
  readonly #pool: pg.Pool
  readonly #statementTimeoutMs: number
  readonly #plans = new PostgresPlanCache()
  #typeNames: Map<number, string> | undefined
  #closed = false

  private constructor(pool: pg.Pool, options: PostgresEngineOptions) {
    this.#pool = pool
    this.#statementTimeoutMs = options.statementTimeoutMs
  }

  static open(url: string, options: PostgresEngineOptions): PostgresEngine {
    const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 5, types: { getTypeParser } })
    // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    return new PostgresEngine(pool, options)
  }

  /** What makes this role unsafe; empty when it may be used. */
  async check(): Promise<string[]> {
    const { rows } = await this.#pool.query<{
      rolsuper: boolean
      rolbypassrls: boolean
      owned: string
      writable: string
    }>(
      `SELECT r.rolsuper, r.rolbypassrls,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                  AND n.nspname <> ALL ($1)) AS owned,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname <> ALL ($1)
                  AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS writable
         FROM pg_roles r WHERE r.rolname = current_user`,
      [SYSTEM_SCHEMAS],
    )
    const role = rows[0]
    if (role === undefined) return ['the connection role cannot be found']
    const problems: string[] = []
    if (role.rolsuper) problems.push('the connection role is a superuser')
    if (role.rolbypassrls) problems.push('the connection role has BYPASSRLS')
    if (Number(role.owned) > 0) problems.push(`the connection role owns ${role.owned} tables or views`)
    if (Number(role.writable) > 0) problems.push(`the connection role can write to ${role.writable} tables`)
    return problems
  }

  /**
   * Only the rewritten SQL reaches PostgreSQL, where each table the query
   * names is a subquery of its visible columns: an error about the query text
   * (42xxx, passed on) then says a hidden column "does not exist", as it says
   * of a missing one, and never that it is ambiguous.
   */
  async restrictedQuery(sql: string, options: RestrictedQueryOptions): Promise<RestrictedQueryResult> {
    options.signal?.throwIfAborted()
    const rewritten = await this.rewrite(sql, options)
    const result = await this.#run(rewritten.sql, rewritten.params, options)
    return { result, appliedRules: rewritten.appliedRules }
  }

  /**
   * Parsed once, when the query is first planned under this shape of restrictions: the guard, over the visible
   * tables only, and the rewrite read the same tree; later calls only bind their values (`PostgresPlanCache`).
   */
  async rewrite(sql: string, options: RewriteOptions): Promise<RewrittenQuery> {
    this.#assertOpen()
    const { database, defaultSchema } = await this.#catalog()
    return this.#plans.rewrite(sql, { ...options, database, defaultSchema })
  }

  /** The dev-mode guard on PostgreSQL's own grammar (libpg-query), against this role's readable tables. */
  async guard(sql: string, options: GuardOptions): Promise<TableRef[]> {
    const ast = await parsePostgres(sql)
    return guardPostgresSelect(ast, await this.#catalog(), options)
  }

  #catalogCache: { readonly at: number; readonly catalog: Promise<PostgresCatalog> } | undefined

  /** Tables come and go on a live database; the allowlist is re-read at most every 30 s. */
  #catalog(): Promise<PostgresCatalog> {
    const now = Date.now()
    if (this.#catalogCache === undefined || now - this.#catalogCache.at > 30_000) {
      const catalog = (async () => {
        const [tables, names] = await Promise.all([
          this.tables(),
          this.#pool.query<{ database: string; schema: string | null }>(
            'SELECT current_database() AS database, current_schema() AS schema',
          ),
        ])
        const row = names.rows[0]
        return {
          database: row?.database ?? '',
          defaultSchema: row?.schema ?? 'public',
          tables: new Set(tables.map((t) => `${t.schema}.${t.name}`)),
        }
      })()
      catalog.catch(() => (this.#catalogCache = undefined))
      this.#catalogCache = { at: now, catalog }
    }
    return this.#catalogCache.catalog
  }

  async query(sql: string, options: QueryOptions): Promise<QueryResult> {
    this.#assertOpen()
    options.signal?.throwIfAborted()
    if (options.guard !== undefined) await this.guard(sql, options.guard)
    return this.#run(sql, options.params ?? [], options)
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatehouseError('INTERNAL', 'The PostgreSQL engine is closed')
  }

  /** One statement in its own READ ONLY transaction, under `statement_timeout`, through a cursor. */
  async #run(
    sql: string,
    params: readonly unknown[],
    options: Pick<QueryOptions, 'maxRows' | 'signal'>,
  ): Promise<QueryResult> {
    const typeNames = await this.#types()
    const client = await this.#pool.connect()
    const cancel = () => void this.#pool.query('SELECT pg_cancel_backend($1)', [processId(client)]).catch(() => {})
    options.signal?.addEventListener('abort', cancel, { once: true })
    let broken: Error | undefined
    try {
      // Aborted while the query was checked, rewritten or waiting for a client: the listener never fires.
      options.signal?.throwIfAborted()
      await client.query('BEGIN READ ONLY')
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(this.#statementTimeoutMs))}`)
      // A cursor reads one row past the limit, however large the result: that is how `truncated` is known.
      await client.query(`DECLARE gatehouse_result NO SCROLL CURSOR FOR ${sql}`, [...params])
      const fetched = await client.query({
        text: `FETCH ${options.maxRows + 1} FROM gatehouse_result`,
        rowMode: 'array',
      })
      await client.query('ROLLBACK')
      const columns = fetched.fields.map((f) => ({
        name: f.name,
        type: typeNames.get(f.dataTypeID) ?? String(f.dataTypeID),
      }))
      const bigints = fetched.fields.map((f) => f.dataTypeID === BIGINT_OID)
      const rows = (fetched.rows as unknown[][]).map((row) =>
        row.map((v, i) => (bigints[i] === true ? safeInteger(v) : json(v))),
      )
      const truncated = rows.length > options.maxRows
      const kept = truncated ? rows.slice(0, options.maxRows) : rows
      return { columns, rows: kept, row_count: kept.length, truncated }
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError))
      throw queryFailure(error, options.signal)
    } finally {
      options.signal?.removeEventListener('abort', cancel)
      client.release(broken)
    }
  }

  async defaultSchema(): Promise<string> {
    return (await this.#catalog()).defaultSchema
  }

  async tables(): Promise<TableInfo[]> {
    const { rows } = await this.#pool.query<{
      schema: string
      name: string
      column: string
      type: string
      nullable: boolean
    }>(
      `SELECT n.nspname AS schema, c.relname AS name, a.attname AS column,
              format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> ALL ($1) AND n.nspname NOT LIKE 'pg_temp%'
          AND has_table_privilege(c.oid, 'SELECT')
        ORDER BY n.nspname, c.relname, a.attnum`,
      [SYSTEM_SCHEMAS],
    )
    const tables = new Map<string, TableInfo & { columns: TableInfo['columns'][number][] }>()
    for (const row of rows) {
      const key = `${row.schema}.${row.name}`
      let table = tables.get(key)
      if (table === undefined) {
        table = { schema: row.schema, name: row.name, columns: [] }
        tables.set(key, table)
      }
      table.columns.push({ name: row.column, type: row.type, nullable: row.nullable })
    }
    return [...tables.values()]
  }

  async #types(): Promise<Map<number, string>> {
    if (this.#typeNames === undefined) {
      const { rows } = await this.#pool.query<{ oid: number; name: string }>(
        'SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type',
      )
      this.#typeNames = new Map(rows.map((r) => [r.oid, r.name]))
    }
    return this.#typeNames
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

const DATE_OID = 1082
const TIMESTAMP_OID = 1114

/**
 * Dates and zone-less timestamps stay as PostgreSQL's text: pg would read them
 * as the server process's local time and shift them when turned into UTC.
 * The text form is the one DuckDB gives for the same values.
 */
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === DATE_OID || oid === TIMESTAMP_OID) return (value: string) => value
  return pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown
}

function processId(client: pg.PoolClient): number {
  return (client as unknown as { processID: number }).processID
}

function safeInteger(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : value
}

/** Dates become ISO text; everything else pg gives is already JSON-safe (or a Buffer, shown as hex). */
function json(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`
  return value
}

/**
 * Engine errors in a form that cannot carry row data (SPEC §5): errors about
 * the query text (SQLSTATE class 42: unknown column, permission denied; 25006: a write in a read-only transaction) keep
 * PostgreSQL's message but never its DETAIL or HINT ("Perhaps you meant …"
 * could name a hidden column); data errors (class 22) and the rest are generic.
 */
function queryFailure(error: unknown, signal: AbortSignal | undefined): QueryFailedError {
  const { code, message } = error as { code?: unknown; message?: unknown }
  const detail = typeof message === 'string' ? message : String(error)
  if (signal?.aborted === true || code === '57014') return new QueryFailedError(QUERY_STOPPED, { detail })
  if (typeof code === 'string' && code.startsWith('22')) return new QueryFailedError(QUERY_DATA_ERROR, { detail })
  if (typeof code === 'string' && (code.startsWith('42') || code === '25006')) {
    return new QueryFailedError(`The query could not be run: ${detail}`, { detail })
  }
  return new QueryFailedError(QUERY_ENGINE_ERROR, { detail })
}
