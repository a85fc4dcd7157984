import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'
import { GatehouseError } from '../../../domain/errors.js'
import { readDuckDbAstJson, writeDuckDbAstJson } from '../../sql/duckdb-ast-json.js'
import { guardDuckDbSelect } from '../../sql/duckdb-guard.js'
import type { GuardOptions } from '../../sql/duckdb-guard.js'
import { duckDbExpressionStatement, duckDbExpressionsToName } from '../../sql/duckdb-expression-names.js'
import { duckDbRestrictedTable } from '../../sql/duckdb-restricted-table.js'
import { rewriteDuckDbSelect } from '../../sql/duckdb-rewrite.js'
import { duckDbPredicateFromAst } from '../../sql/duckdb-row-rule.js'
import type { DuckDbRewrite } from '../../sql/duckdb-rewrite.js'
import type { DuckDbPredicateAsts, DuckDbRewriteOptions } from '../../sql/duckdb-rewrite-options.js'
import type {
  ConnectionRestrictions,
  RewrittenQuery,
  RowAlternative,
  TableRestriction,
} from '../../sql/restrictions.js'
import { sameDuckDbAst } from '../../sql/duckdb-same-ast.js'
import { duckDbSessionExpressions } from '../../sql/duckdb-session-functions.js'
import { sessionValue } from '../../sql/session-functions.js'
import type { SessionCall } from '../../sql/session-functions.js'
import { SqlRefusedError } from '../../sql/sql-refused-error.js'

export interface DuckDbRewriteInput {
  /** The query as the principal wrote it, or as Gatehouse compiled it. */
  readonly sql: string
  /** The query's own parameter values (`$1…$k`: custom tools, compiled queries); dev-mode SQL has none. */
  readonly params?: readonly unknown[]
  readonly restrictions: ConnectionRestrictions
  /**
   * Runs the dev-mode guard (SPEC §5) on the same tree first, over the
   * principal's visible tables only. Nothing is prepared before the rewrite:
   * the binder, given the whole catalog, answers differently for a hidden
   * column than for a missing one (an ambiguous name, for one).
   */
  readonly guard?: GuardOptions
}

interface Catalog {
  readonly database: string
  /** `schema.table` (lower-case) → column names in catalog order. */
  readonly columns: ReadonlyMap<string, readonly string[]>
}

interface Codec {
  readonly serialize: DuckDBPreparedStatement
  readonly deserialize: DuckDBPreparedStatement
  /** Writes a tree as SQL and parses that SQL again, in one round trip. */
  readonly writeBack: DuckDBPreparedStatement
}

/**
 * What one query rewrites to under one shape of restrictions (tables,
 * policies, rules, columns, rule texts, how many values each binds): the
 * values themselves are bound, never written into the SQL, so one plan serves
 * every principal whose restrictions have that shape.
 */
interface Plan {
  /** Undefined when the query reads no table and calls no session function: it runs as written. */
  readonly sql: string | undefined
  /**
   * Whose values bind the placeholders after the query's own, in order: a
   * rule's (table key and alternative index) or a session function call's.
   */
  readonly bound: readonly (
    { readonly table: string; readonly alternative: number } | { readonly session: SessionCall }
  )[]
  /** The tables the query reads (keys), in the order it names them. */
  readonly tables: readonly string[]
}

const PLAN_CACHE_SIZE = 1000
/** Longer queries are planned every time: a cache of their keys would hold megabytes. */
const PLAN_CACHE_MAX_SQL = 20_000

/**
 * Applies `ConnectionRestrictions` to DuckDB SQL (SPEC §5 RLS): DuckDB parses
 * the query and every row rule (each handed to its parser as a bound value),
 * the pure `rewriteDuckDbSelect` rewrites the tree, and DuckDB writes it back
 * as SQL. One per engine: what it learns of the read-only catalog and of the
 * rules (parsed forms, rules checked against their tables) holds while the
 * file is open. Every call takes a connection of the engine's pool.
 */
export class DuckDbRewriter {
  readonly #predicates = new Map<string, unknown>()
  readonly #checkedTables = new Set<string>()
  readonly #codecs = new WeakMap<DuckDBConnection, Promise<Codec>>()
  readonly #plans = new Map<string, Plan>()
  #catalog: Promise<Catalog> | undefined

  async rewrite(connection: DuckDBConnection, input: DuckDbRewriteInput): Promise<RewrittenQuery> {
    const userParams = input.params ?? []
    const catalog = await this.#readCatalog(connection)
    const predicates = await this.#parsePredicates(connection, input.restrictions)
    const options = { database: catalog.database, parameterCount: userParams.length, tableColumns: catalog.columns }
    const key = planKey(input, userParams.length)
    let plan = this.#plans.get(key)
    if (plan === undefined) {
      plan = await this.#plan(connection, input, predicates, options)
      if (input.sql.length <= PLAN_CACHE_MAX_SQL) {
        if (this.#plans.size >= PLAN_CACHE_SIZE) this.#plans.delete(this.#plans.keys().next().value ?? '')
        this.#plans.set(key, plan)
      }
    }
    if (plan.sql === undefined) return { sql: input.sql, params: userParams, appliedRules: [] }
    const alternatives = (table: string) => input.restrictions.tables.get(table)?.alternatives ?? []
    const session = input.restrictions.session
    const values = plan.bound.flatMap((b) =>
      'session' in b
        ? [sessionValue(b.session, session)]
        : (alternatives(b.table)[b.alternative]?.predicate?.values ?? []),
    )
    const rules = plan.tables.flatMap((table) =>
      alternatives(table).flatMap((a) => a.rules.map((r) => `${a.policy}.${r}`)),
    )
    return { sql: plan.sql, params: [...userParams, ...values], appliedRules: [...new Set(rules)] }
  }

  async #plan(
    connection: DuckDBConnection,
    input: DuckDbRewriteInput,
    predicates: DuckDbPredicateAsts,
    base: DuckDbRewriteOptions,
  ): Promise<Plan> {
    const keys = new Map<TableRestriction, string>()
    const where = new Map<RowAlternative, { table: string; alternative: number }>()
    for (const [table, restriction] of input.restrictions.tables) {
      keys.set(restriction, table)
      restriction.alternatives.forEach((a, alternative) => where.set(a, { table, alternative }))
    }
    const attempt = async (ast: unknown): Promise<Plan & { rewritten: boolean }> => {
      const options: DuckDbRewriteOptions = { ...base, expressionNames: await this.#names(connection, ast) }
      const result = rewriteDuckDbSelect(ast, input.restrictions, predicates, options)
      const tables = result.tables.map((t) => keys.get(t) as string)
      const bound = result.sources.map((s) =>
        'session' in s ? s : (where.get(s.alternative) as Plan['bound'][number]),
      )
      // A query that reads no table and calls no session function runs as it was written: nothing changes.
      if (tables.length === 0 && bound.length === 0) return { sql: undefined, bound, tables, rewritten: false }
      await this.#checkTables(connection, result.tables, predicates, options)
      return { sql: await this.#writeBack(connection, result), bound, tables, rewritten: true }
    }
    const visible = { database: base.database, tables: new Set(input.restrictions.tables.keys()) }
    // The session functions pass the guard here because the rewrite replaces every call of them.
    const guard = input.guard === undefined ? undefined : { ...input.guard, sessionFunctions: true }
    const parse = async (sql: string) => {
      const ast = await this.#serialize(connection, sql)
      if (guard !== undefined) guardDuckDbSelect(ast, visible, guard)
      return ast
    }
    // Parsed here rather than taken from the guard, whose tree has rounded numbers (see duckdb-ast-json.ts).
    const ast = await parse(input.sql)
    const first = await attempt(ast)
    if (!first.rewritten || first.sql !== undefined) return first
    // A few constructs are written in a form that parses to a different tree (`x IS TRUE`; a double
    // written `1e2` becomes the decimal `100.0`); the query DuckDB writes for the tree is rewritten
    // instead, guarded again, and parses back unchanged.
    const second = await attempt(await parse(await this.#deserialize(connection, ast)))
    if (second.sql === undefined) {
      throw new SqlRefusedError('This query cannot be rewritten safely: write it another way')
    }
    return second
  }

  /**
   * The SQL text of the rewritten tree, only if DuckDB parses that text back
   * to the very same tree: what runs is then exactly what the rewriter
   * produced, whatever quirks `json_deserialize_sql` has.
   */
  async #writeBack(connection: DuckDBConnection, result: DuckDbRewrite): Promise<string | undefined> {
    const { writeBack } = await this.#codec(connection)
    writeBack.bindVarchar(1, writeDuckDbAstJson(result.ast))
    const [sql, reparsed] = ((await writeBack.runAndReadAll()).getRows()[0] ?? []).map(String)
    return sameDuckDbAst(readDuckDbAstJson(reparsed ?? '{}'), result.ast) ? sql : undefined
  }

  /** The name DuckDB gives each unnamed expression the rewrite could rename: its text, as DuckDB writes it. */
  async #names(connection: DuckDBConnection, ast: unknown): Promise<Map<unknown, string>> {
    const names = new Map<unknown, string>()
    for (const expression of new Set([...duckDbExpressionsToName(ast), ...duckDbSessionExpressions(ast)])) {
      const sql = await this.#deserialize(connection, duckDbExpressionStatement(expression))
      names.set(expression, sql.replace(/^SELECT /, ''))
    }
    return names
  }

  async #parsePredicates(
    connection: DuckDBConnection,
    restrictions: ConnectionRestrictions,
  ): Promise<DuckDbPredicateAsts> {
    for (const table of restrictions.tables.values()) {
      for (const { predicate } of table.alternatives) {
        if (predicate === null || this.#predicates.has(predicate.sql)) continue
        // Parsed only, never run: the rule's text stays inside the WHERE clause or is refused.
        const ast = await this.#serialize(connection, `SELECT 1 FROM t WHERE (\n${predicate.sql}\n)`)
        this.#predicates.set(predicate.sql, duckDbPredicateFromAst(ast, predicate))
      }
    }
    return this.#predicates
  }

  /**
   * Each restricted table's subquery is prepared once on its own, where no
   * outer query exists: a rule naming a column its table lacks fails here,
   * instead of binding to a column of an enclosing query.
   */
  async #checkTables(
    connection: DuckDBConnection,
    tables: readonly TableRestriction[],
    predicates: DuckDbPredicateAsts,
    options: DuckDbRewriteOptions,
  ): Promise<void> {
    for (const table of tables) {
      const key = JSON.stringify([
        table.schema,
        table.table,
        table.alternatives.map((a) => [a.columns, a.predicate?.sql ?? null]),
      ])
      if (this.#checkedTables.has(key)) continue
      const sql = await this.#deserialize(connection, duckDbRestrictedTable(table, predicates, options).ast)
      const prepared = await connection.prepare(sql).catch((error: Error) => {
        throw new GatehouseError('INTERNAL', 'A row rule cannot be applied', {
          detail: `${table.schema}.${table.table}: ${error.message}`,
          cause: error,
        })
      })
      prepared.destroySync()
      this.#checkedTables.add(key)
    }
  }

  /** The read-only file's catalog does not change while it is open. */
  #readCatalog(connection: DuckDBConnection): Promise<Catalog> {
    const catalog = (this.#catalog ??= (async () => {
      const database = String((await connection.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0])
      const reader = await connection.runAndReadAll(
        `SELECT lower(schema_name), lower(table_name), column_name
           FROM duckdb_columns() WHERE database_name = current_database()
          ORDER BY schema_name, table_name, column_index`,
      )
      const columns = new Map<string, string[]>()
      for (const [schema, table, column] of reader.getRowsJson() as string[][]) {
        const key = `${String(schema)}.${String(table)}`
        columns.set(key, [...(columns.get(key) ?? []), String(column)])
      }
      return { database, columns }
    })())
    catalog.catch(() => this.#catalog === catalog && (this.#catalog = undefined))
    return catalog
  }

  async #serialize(connection: DuckDBConnection, sql: string): Promise<unknown> {
    const { serialize } = await this.#codec(connection)
    serialize.bindVarchar(1, sql)
    const reader = await serialize.runAndReadAll()
    return readDuckDbAstJson(String(reader.getRows()[0]?.[0] ?? '{}'))
  }

  async #deserialize(connection: DuckDBConnection, ast: unknown): Promise<string> {
    const { deserialize } = await this.#codec(connection)
    deserialize.bindVarchar(1, writeDuckDbAstJson(ast))
    const reader = await deserialize.runAndReadAll()
    return String(reader.getRows()[0]?.[0] ?? '')
  }

  /** The SQL (or tree) is always a bound value of these two statements, never part of their text. */
  #codec(connection: DuckDBConnection): Promise<Codec> {
    let codec = this.#codecs.get(connection)
    if (codec === undefined) {
      codec = Promise.all([
        connection.prepare('SELECT json_serialize_sql($1::VARCHAR)'),
        connection.prepare('SELECT json_deserialize_sql($1::JSON)'),
        connection.prepare('SELECT s, json_serialize_sql(s) FROM (SELECT json_deserialize_sql($1::JSON) AS s)'),
      ]).then(([serialize, deserialize, writeBack]) => ({ serialize, deserialize, writeBack }))
      this.#codecs.set(connection, codec)
    }
    return codec
  }
}

function planKey(input: DuckDbRewriteInput, parameterCount: number): string {
  const shape = [...input.restrictions.tables].map(([key, table]) => [
    key,
    table.schema,
    table.table,
    table.alternatives.map((a) => [a.policy, a.rules, a.columns, a.predicate?.sql ?? null, a.predicate?.values.length]),
  ])
  return JSON.stringify([input.sql, parameterCount, input.guard ?? null, shape])
}
