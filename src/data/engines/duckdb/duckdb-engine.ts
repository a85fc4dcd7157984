import { DuckDBInstance } from '@duckdb/node-api'
import type {
  DuckDBConnection,
  DuckDBExtractedStatements,
  DuckDBPreparedStatement,
  DuckDBValue,
} from '@duckdb/node-api'
import { GatehouseError } from '../../../domain/errors.js'
import type {
  Engine,
  QueryOptions,
  QueryResult,
  RestrictedQueryOptions,
  RestrictedQueryResult,
  RewriteOptions,
  TableInfo,
} from '../../engine.js'
import type { RewrittenQuery } from '../../sql/restrictions.js'
import { parseDuckDbAstJson } from '../../sql/duckdb-ast.js'
import { guardDuckDbSelect } from '../../sql/duckdb-guard.js'
import { foldDuckDbName } from '../../sql/duckdb-names.js'
import { DUCKDB_ALLOWED_FUNCTIONS } from '../../sql/duckdb-functions.js'
import { isNestingFailure, nestedTooDeeply } from '../../sql/nesting-limit.js'
import { SqlRefusedError } from '../../sql/sql-refused-error.js'
import { DuckDbRewriter } from './duckdb-rewriter.js'
import type { DuckDbCatalog, GuardOptions, TableRef } from '../../sql/duckdb-guard.js'
import { StatementType } from '@duckdb/node-api'
import { QUERY_DATA_ERROR, QUERY_ENGINE_ERROR, QUERY_STOPPED, QueryFailedError } from '../../query-failed-error.js'

/**
 * The engine's own defences, whatever SQL reaches it: the file is opened
 * read-only, nothing outside it can be read or written (files, URLs, other
 * databases, extensions), and the configuration is locked so that a statement
 * cannot turn any of this back on.
 */
const LOCKED_DOWN: Readonly<Record<string, string>> = {
  access_mode: 'READ_ONLY',
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  lock_configuration: 'true',
}

const SYSTEM_SCHEMAS = ['information_schema', 'pg_catalog']

const GUARD_CACHE_SIZE = 1000
const EXACTLY_ONE = 'Exactly one SQL statement is accepted'
const IDLE_CONNECTIONS = 8

const WIDE_INTEGERS = new Set(['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT'])

/**
 * DuckDB's JSON form gives 64- and 128-bit integers as text, so that none
 * loses precision. Counts and ids are numbers to a reader: those that fit a
 * double exactly become numbers, the others stay exact text.
 */
function safeIntegers(rows: unknown[][], columns: readonly { type: string }[]): unknown[][] {
  const wide = columns.map((c) => WIDE_INTEGERS.has(c.type))
  if (!wide.includes(true)) return rows
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const value = row[i]
      if (wide[i] === true && typeof value === 'string') {
        const n = Number(value)
        if (Number.isSafeInteger(n)) row[i] = n
      }
    }
  }
  return rows
}

export class DuckDbEngine implements Engine {
  readonly kind = 'duckdb'
  readonly #instance: DuckDBInstance
  #closed = false

  private constructor(instance: DuckDBInstance) {
    this.#instance = instance
  }

  /** Opens an existing database file; a missing file is an error, never a new empty database. */
  static async open(path: string): Promise<DuckDbEngine> {
    try {
      return new DuckDbEngine(await DuckDBInstance.create(path, { ...LOCKED_DOWN }))
    } catch (error) {
      throw new GatehouseError('INPUT_INVALID', `The DuckDB database ${path} cannot be opened read-only`, {
        cause: error,
        detail: (error as Error).message,
      })
    }
  }

  /**
   * Runs `sql`. With `options.guard`, the dev-mode guard runs first on the same
   * connection and the statement it prepared is the one executed: parsed and
   * bound once, and what ran is exactly what was checked.
   */
  async query(sql: string, options: QueryOptions): Promise<QueryResult> {
    return this.#withConnection(options.signal, async (connection) => {
      const statement =
        options.guard === undefined ? sql : (await this.#checked(connection, sql, options.guard)).prepared
      return read(connection, statement, options.params, options)
    })
  }

  readonly #rewriter = new DuckDbRewriter()

  /**
   * The user's SQL is only parsed (by the rewriter, which guards it over the
   * visible tables); the rewritten SQL alone is prepared. Prepared as written,
   * the binder would see the whole catalog and answer "ambiguous column" for a
   * hidden column of two joined tables where a missing one is "not found".
   */
  async restrictedQuery(sql: string, options: RestrictedQueryOptions): Promise<RestrictedQueryResult> {
    return this.#withConnection(options.signal, async (connection) => {
      const rewritten = await this.#rewrite(connection, sql, options, options.signal)
      // The rewrite takes several round trips; an abort between two of them interrupts nothing.
      if (options.signal?.aborted === true) throw queryFailure(options.signal.reason, options.signal)
      const prepared = await prepareSelect(await extractOne(connection, rewritten.sql))
      const result = await read(connection, prepared, rewritten.params, options)
      return { result, appliedRules: rewritten.appliedRules }
    })
  }

  async rewrite(sql: string, options: RewriteOptions): Promise<RewrittenQuery> {
    return this.#withConnection(undefined, (connection) => this.#rewrite(connection, sql, options))
  }

  async #rewrite(
    connection: DuckDBConnection,
    sql: string,
    options: RewriteOptions,
    signal?: AbortSignal,
  ): Promise<RewrittenQuery> {
    const { restrictions, guard, params } = options
    return this.#rewriter.rewrite(connection, { sql, params, restrictions, guard }).catch(async (error: unknown) => {
      // An interrupted parse or write-back is a stopped query, not a refusal or a fault.
      if (signal?.aborted === true && !(error instanceof GatehouseError)) throw queryFailure(error, signal)
      // `json_serialize_sql` refuses a second statement that is not a SELECT as "not a SELECT";
      // counting statements (parsing only, nothing bound) says what `query` says. Refusals only pay for it.
      if (error instanceof SqlRefusedError) {
        const count = await connection.extractStatements(sql).then(
          (e) => e.count,
          () => 1,
        )
        if (count !== 1) throw new SqlRefusedError(EXACTLY_ONE)
      }
      throw error
    })
  }

  async guard(sql: string, options: GuardOptions): Promise<TableRef[]> {
    return this.#withConnection(undefined, async (connection) => {
      const { prepared, tables } = await this.#checked(connection, sql, options)
      prepared.destroySync()
      return tables
    })
  }

  /** Verdicts on SQL with its own parameters (compiled or declared), by statement text. */
  readonly #verdicts = new Map<string, TableRef[]>()

  /**
   * The dev-mode guard (SPEC §5), classified by DuckDB itself: exactly one
   * statement (`extractStatements`), its AST from `json_serialize_sql` with the
   * SQL passed as a bound value (never spliced into the query), checked by the
   * pure guard, then prepared to confirm it is a SELECT. Preparing comes last:
   * the binder's errors ("did you mean …") could name tables the guard hides.
   */
  async #checked(
    connection: DuckDBConnection,
    sql: string,
    options: GuardOptions,
  ): Promise<{ prepared: DuckDBPreparedStatement; tables: TableRef[] }> {
    const extracted = await extractOne(connection, sql)
    // SQL that Gatehouse compiles or a tool declares repeats with new parameters; the catalog of a
    // read-only file never changes, so its verdict holds. Agents' own SQL is checked every time.
    let tables = options.allowParameters ? this.#verdicts.get(sql) : undefined
    if (tables === undefined) {
      const serializer = await this.#serializer(connection)
      serializer.bindVarchar(1, sql)
      const serialized = await serializer.runAndReadAll()
      const ast = parseDuckDbAstJson(String(serialized.getRows()[0]?.[0] ?? '{}'))
      tables = guardDuckDbSelect(ast, await this.#catalog(), options)
    }
    const prepared = await prepareSelect(extracted)
    if (options.allowParameters && !this.#verdicts.has(sql)) {
      if (this.#verdicts.size >= GUARD_CACHE_SIZE) this.#verdicts.delete(this.#verdicts.keys().next().value ?? '')
      this.#verdicts.set(sql, tables)
    }
    return { prepared, tables }
  }

  readonly #serializers = new WeakMap<DuckDBConnection, Promise<DuckDBPreparedStatement>>()

  /** One prepared `json_serialize_sql` per connection: the SQL to check is always a bound value. */
  #serializer(connection: DuckDBConnection): Promise<DuckDBPreparedStatement> {
    let serializer = this.#serializers.get(connection)
    if (serializer === undefined) {
      serializer = connection.prepare('SELECT json_serialize_sql($1::VARCHAR)')
      this.#serializers.set(connection, serializer)
    }
    return serializer
  }

  #catalogCache: Promise<DuckDbCatalog> | undefined

  /** The read-only file's catalog does not change while it is open. */
  #catalog(): Promise<DuckDbCatalog> {
    this.#catalogCache ??= (async () => {
      const [tables, database] = await Promise.all([
        this.tables(),
        this.#withConnection(undefined, async (c) =>
          String((await c.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0]),
        ),
      ])
      return { database, tables: new Set(tables.map((t) => foldDuckDbName(`${t.schema}.${t.name}`))) }
    })()
    return this.#catalogCache
  }

  /**
   * Opened read-only and locked down by construction; what the file itself
   * holds is checked: a macro named like an allowlisted function would run in
   * place of the built-in (DuckDB resolves a bare name in the database first),
   * and its body could read a table outside the row-level rewrite.
   */
  async check(): Promise<string[]> {
    const reader = await this.#withConnection(undefined, (c) =>
      c.runAndReadAll(
        // No function call here: one could be the very macro this looks for.
        `SELECT function_name FROM duckdb_functions() WHERE NOT internal`,
      ),
    )
    const shadowing = (reader.getRowsJson() as string[][])
      .map(([name]) => String(name).toLowerCase())
      .filter((name, i, all) => DUCKDB_ALLOWED_FUNCTIONS.has(name) && all.indexOf(name) === i)
      .sort()
    return shadowing.length === 0
      ? []
      : [
          `the database defines functions named like built-ins (${shadowing.join(', ')}), which would run in their place`,
        ]
  }

  /** A read-only file has no search path to set: bare names are in `main`, as DuckDB's binder resolves them. */
  defaultSchema(): Promise<string> {
    return Promise.resolve('main')
  }

  #tablesCache: Promise<TableInfo[]> | undefined

  /** Read once: the catalog of a file opened read-only cannot change while it is open. */
  tables(): Promise<TableInfo[]> {
    const tables = (this.#tablesCache ??= this.#readTables())
    tables.catch(() => this.#tablesCache === tables && (this.#tablesCache = undefined))
    return tables
  }

  #readTables(): Promise<TableInfo[]> {
    return this.#withConnection(undefined, async (connection) => {
      const reader = await connection.runAndReadAll(
        `SELECT schema_name, table_name, column_name, data_type, is_nullable
           FROM duckdb_columns()
          WHERE NOT internal AND schema_name NOT IN ('${SYSTEM_SCHEMAS.join("','")}')
          ORDER BY schema_name, table_name, column_index`,
      )
      const tables = new Map<string, TableInfo & { columns: TableInfo['columns'][number][] }>()
      for (const [schema, name, column, type, nullable] of reader.getRowsJson() as [
        string,
        string,
        string,
        string,
        boolean,
      ][]) {
        const key = `${schema}.${name}`
        let table = tables.get(key)
        if (table === undefined) {
          table = { schema, name, columns: [] }
          tables.set(key, table)
        }
        table.columns.push({ name: column, type, nullable })
      }
      return [...tables.values()]
    })
  }

  readonly #idle: DuckDBConnection[] = []

  /**
   * Runs `work` on a connection of the engine's small pool: opening one per
   * call would cost more than a small query. Nothing a query can do changes a
   * connection's state (read-only, locked configuration, SET refused), so a
   * connection is as good as new for the next call.
   */
  async #withConnection<T>(signal: AbortSignal | undefined, work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) throw new GatehouseError('INTERNAL', 'The DuckDB engine is closed')
    signal?.throwIfAborted()
    const connection = this.#idle.pop() ?? (await this.#instance.connect())
    const interrupt = () => connection.interrupt()
    signal?.addEventListener('abort', interrupt, { once: true })
    try {
      return await work(connection)
    } finally {
      signal?.removeEventListener('abort', interrupt)
      if (this.#closed || this.#idle.length >= IDLE_CONNECTIONS) connection.closeSync()
      else this.#idle.push(connection)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const connection of this.#idle.splice(0)) connection.closeSync()
    this.#instance.closeSync()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

async function extractOne(connection: DuckDBConnection, sql: string): Promise<DuckDBExtractedStatements> {
  const extracted = await connection.extractStatements(sql).catch((error: Error) => {
    if (isNestingFailure(error.message)) throw nestedTooDeeply()
    throw new SqlRefusedError(`The query could not be parsed: ${error.message}`)
  })
  if (extracted.count !== 1) throw new SqlRefusedError(EXACTLY_ONE)
  return extracted
}

/** Binds the statement (a binder error keeps its first sentence only) and confirms it is a SELECT. */
async function prepareSelect(extracted: DuckDBExtractedStatements): Promise<DuckDBPreparedStatement> {
  const prepared = await extracted.prepare(0).catch((error: Error) => {
    // The binder has a depth limit of its own, which the parser's does not always reach first.
    if (isNestingFailure(error.message)) throw nestedTooDeeply()
    throw new SqlRefusedError(`The query could not be prepared: ${binderMessage(error.message)}`, {
      detail: error.message,
    })
  })
  if (prepared.statementType !== StatementType.SELECT) {
    prepared.destroySync()
    throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
  }
  return prepared
}

/**
 * Runs a statement (SQL text, or prepared and then destroyed here) and reads
 * one row past the limit: that is how `truncated` is known without reading everything.
 */
async function read(
  connection: DuckDBConnection,
  statement: string | DuckDBPreparedStatement,
  params: readonly unknown[] | undefined,
  options: Pick<QueryOptions, 'maxRows' | 'signal'>,
): Promise<QueryResult> {
  const values = params as DuckDBValue[] | undefined
  let reader
  try {
    if (typeof statement !== 'string') {
      if (values !== undefined) statement.bind(values)
      reader = await statement.streamAndReadUntil(options.maxRows + 1)
    } else reader = await connection.streamAndReadUntil(statement, options.maxRows + 1, values)
  } catch (error) {
    throw queryFailure(error, options.signal)
  } finally {
    if (typeof statement !== 'string') statement.destroySync()
  }
  const columnNames = reader.columnNames()
  const columnTypes = reader.columnTypes()
  const columns = columnNames.map((name, i) => ({ name, type: String(columnTypes[i]) }))
  const rows = safeIntegers(reader.getRowsJson(), columns)
  const truncated = rows.length > options.maxRows
  const kept = truncated ? rows.slice(0, options.maxRows) : rows
  return { columns, rows: kept, row_count: kept.length, truncated }
}

/**
 * DuckDB's binder names what the query got wrong, then suggests names that
 * exist ("Did you mean", "Candidate bindings"): the suggestions could name
 * hidden tables or columns, so only the first sentence is kept.
 */
function binderMessage(message: string): string {
  const first = (message.split('\n')[0] ?? '').replace(/^[A-Za-z ]+ Error: /, '')
  return first.split(/\s*(Did you mean|Candidate bindings|Candidate tables)/)[0]?.trim() || 'invalid query'
}

function queryFailure(error: unknown, signal: AbortSignal | undefined): QueryFailedError {
  const message = error instanceof Error ? error.message : String(error)
  if (signal?.aborted === true || /^INTERRUPT Error/.test(message)) {
    return new QueryFailedError(QUERY_STOPPED, { detail: message })
  }
  if (/^(Conversion|Out of Range|Invalid Input|Arithmetic) Error/.test(message)) {
    return new QueryFailedError(QUERY_DATA_ERROR, { detail: message })
  }
  return new QueryFailedError(QUERY_ENGINE_ERROR, { detail: message })
}
