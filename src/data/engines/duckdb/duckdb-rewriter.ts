import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'
import { GatehouseError } from '../../../domain/errors.js'
import { duckDbJsonNumberText, readDuckDbAstJson, writeDuckDbAstJson } from '../../sql/duckdb-ast-json.js'
import { guardDuckDbSelect } from '../../sql/duckdb-guard.js'
import type { GuardOptions } from '../../sql/duckdb-guard.js'
import {
  duckDbExpressionStatement,
  duckDbExpressionsToName,
  duckDbPredicateFromAst,
  duckDbRestrictedTable,
  rewriteDuckDbSelect,
} from '../../sql/duckdb-rewrite.js'
import type { DuckDbPredicateAsts, DuckDbRewrite, DuckDbRewriteOptions } from '../../sql/duckdb-rewrite.js'
import type { ConnectionRestrictions, RewrittenQuery, TableRestriction } from '../../sql/restrictions.js'
import { SqlRefusedError } from '../../sql/sql-refused-error.js'

export interface DuckDbRewriteInput {
  /** The query as the principal wrote it (or as Gatehouse compiled it), after the dev-mode guard. */
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
}

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
  #catalog: Promise<Catalog> | undefined

  async rewrite(connection: DuckDBConnection, input: DuckDbRewriteInput): Promise<RewrittenQuery> {
    const userParams = input.params ?? []
    const catalog = await this.#readCatalog(connection)
    const predicates = await this.#parsePredicates(connection, input.restrictions)
    const base = { database: catalog.database, parameterCount: userParams.length, tableColumns: catalog.columns }
    const attempt = async (ast: unknown) => {
      const options: DuckDbRewriteOptions = { ...base, expressionNames: await this.#names(connection, ast) }
      const result = rewriteDuckDbSelect(ast, input.restrictions, predicates, options)
      await this.#checkTables(connection, result.tables, predicates, options)
      return { result, sql: await this.#writeBack(connection, result) }
    }
    // Parsed here rather than taken from the guard, whose tree has rounded numbers (see duckdb-ast-json.ts).
    const ast = await this.#serialize(connection, input.sql)
    if (input.guard !== undefined) {
      guardDuckDbSelect(
        ast,
        { database: catalog.database, tables: new Set(input.restrictions.tables.keys()) },
        input.guard,
      )
    }
    let { result, sql } = await attempt(ast)
    if (sql === undefined) {
      // A few constructs are written in a form that parses to an equivalent but different tree
      // (`x IS TRUE`); written once more, they parse back unchanged.
      ;({ result, sql } = await attempt(await this.#serialize(connection, await this.#deserialize(connection, ast))))
    }
    if (sql === undefined) {
      throw new SqlRefusedError('This query cannot be rewritten safely: write it another way')
    }
    return { sql, params: [...userParams, ...result.values], appliedRules: result.appliedRules }
  }

  /**
   * The SQL text of the rewritten tree, only if DuckDB parses that text back
   * to the very same tree: what runs is then exactly what the rewriter
   * produced, whatever quirks `json_deserialize_sql` has.
   */
  async #writeBack(connection: DuckDBConnection, result: DuckDbRewrite): Promise<string | undefined> {
    const sql = await this.#deserialize(connection, result.ast)
    const reparsed = await this.#serialize(connection, sql)
    return sameDuckDbAst(reparsed, result.ast) ? sql : undefined
  }

  /** The name DuckDB gives each unnamed expression the rewrite could rename: its text, as DuckDB writes it. */
  async #names(connection: DuckDBConnection, ast: unknown): Promise<Map<unknown, string>> {
    const names = new Map<unknown, string>()
    for (const expression of duckDbExpressionsToName(ast)) {
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
      ]).then(([serialize, deserialize]) => ({ serialize, deserialize }))
      this.#codecs.set(connection, codec)
    }
    return codec
  }
}

/**
 * Whether two `json_serialize_sql` trees are the same query: source positions
 * and the order of `named_param_map` aside, and with DuckDB's way of writing a
 * VALUES list (as `(SELECT * FROM (VALUES …) AS valueslist)`, one more
 * wrapper each time it is parsed) folded back.
 */
export function sameDuckDbAst(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  const number = duckDbJsonNumberText(value)
  if (number !== undefined) return { number }
  if (typeof value !== 'object' || value === null) return value
  const node = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(node).sort()) {
    if (key === 'query_location') continue
    out[key] = key === 'named_param_map' ? sortedParams(node[key]) : canonical(node[key])
  }
  return isValuesWrapper(out) ? (out.subquery as { node: { from_table: unknown } }).node.from_table : out
}

function sortedParams(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  return [...(value as { key: string }[])].sort((x, y) => x.key.localeCompare(y.key)).map(canonical)
}

/** `SELECT * FROM <from_table>`, nothing else, as `json_serialize_sql` writes it (from_table left out). */
const PLAIN_STAR_SELECT = JSON.stringify(
  canonical({
    type: 'SELECT_NODE',
    modifiers: [],
    cte_map: { map: [] },
    select_list: [
      {
        class: 'STAR',
        type: 'STAR',
        alias: '',
        relation_name: '',
        exclude_list: [],
        replace_list: [],
        columns: false,
        expr: null,
        qualified_exclude_list: [],
        rename_list: [],
      },
    ],
    where_clause: null,
    group_expressions: [],
    group_sets: [],
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    sample: null,
    qualify: null,
  }),
)

function isValuesWrapper(node: Record<string, unknown>): boolean {
  if (node.type !== 'SUBQUERY' || node.alias !== 'valueslist' || node.sample !== null) return false
  if (!Array.isArray(node.column_name_alias) || node.column_name_alias.length !== 0) return false
  const { from_table: from, ...select } = ((node.subquery as { node?: unknown } | undefined)?.node ?? {}) as Record<
    string,
    unknown
  >
  const list = from as Record<string, unknown> | undefined
  return list?.type === 'EXPRESSION_LIST' && list.alias === 'valueslist' && JSON.stringify(select) === PLAIN_STAR_SELECT
}
