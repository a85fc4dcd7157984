import { isNestingFailure, MAX_NESTING, nestedTooDeeply } from './nesting-limit.js'
import { SqlRefusedError } from './sql-refused-error.js'
import {
  DUCKDB_ALLOWED_FUNCTIONS,
  DUCKDB_SYNTAX_FUNCTIONS,
  DUCKDB_SYSTEM_SCHEMAS,
  isDuckDbSystemName,
} from './duckdb-functions.js'
import { foldDuckDbName } from './duckdb-names.js'
import { DUCKDB_ALLOWED_TYPE_NAMES, DUCKDB_ALLOWED_TYPES } from './duckdb-types.js'
import { qualifiedSessionFunction, sessionFunctionName, sessionFunctionUnavailable } from './session-functions.js'

/** A user table a query reads, its names folded as DuckDB folds them (`foldDuckDbName`). */
export interface TableRef {
  readonly schema: string
  readonly table: string
}

export interface DuckDbCatalog {
  /** The database's own catalog name (`current_database()`), accepted as a qualifier. */
  readonly database: string
  /** `schema.table`, folded as DuckDB folds names (`foldDuckDbName`): the only tables a query may name. */
  readonly tables: ReadonlySet<string>
}

export interface GuardOptions {
  /** SQL that Gatehouse compiles, or that a custom tool declares, carries its own parameters. */
  readonly allowParameters: boolean
  /**
   * The RLS rewrite runs next and replaces every call of SPEC §5's SQL
   * functions (`get_username()`…) by a bound value, checking its arguments:
   * their unqualified calls pass. Otherwise they are refused, as nothing would
   * replace them and DuckDB would look the name up itself (a macro).
   */
  readonly sessionFunctions?: boolean
}

type Node = Record<string, unknown>

interface Scope {
  /** CTE names a bare table name resolves to here. */
  readonly ctes: ReadonlySet<string>
  /** CTEs whose recursive arm this is: DuckDB binds `recurring.<name>` to them, under any catalog. */
  readonly recurring: ReadonlySet<string>
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks the AST of one SELECT (`json_serialize_sql`) against SPEC §5 and
 * returns the user tables it reads. Pure: no engine, no I/O. Every node is
 * visited, at any depth (CTEs, subqueries, set operations, joins, lateral,
 * expressions), so a refused construct cannot hide in a corner the walker does
 * not know. A name not in the catalog and a hidden one get the same answer.
 */
export function guardDuckDbSelect(ast: unknown, catalog: DuckDbCatalog, options: GuardOptions): TableRef[] {
  if (!isNode(ast) || ast.error !== false || !Array.isArray(ast.statements)) {
    const message = isNode(ast) && typeof ast.error_message === 'string' ? ast.error_message : ''
    if (isNestingFailure(message)) throw nestedTooDeeply()
    throw new SqlRefusedError(
      /only SELECT/i.test(message) || message === ''
        ? 'Only a single read-only SELECT statement is accepted'
        : `The query could not be parsed: ${message}`,
    )
  }
  if (ast.statements.length !== 1) throw new SqlRefusedError('Exactly one SQL statement is accepted')
  const tables = new Map<string, TableRef>()
  walk(ast.statements[0], catalog, options, tables)
  return [...tables.values()]
}

type Child = readonly [value: unknown, scope: Scope]

/**
 * Visits every node in source order with a stack of its own rather than the
 * call stack, so that a tree nested past `MAX_NESTING` is refused by count and
 * never by a stack overflow. Depth counts the objects that have a `type` or a
 * `class`: query nodes, table references, expressions and types.
 */
function walk(statement: unknown, catalog: DuckDbCatalog, options: GuardOptions, out: Map<string, TableRef>): void {
  const pending: { value: unknown; scope: Scope; depth: number }[] = [
    { value: statement, scope: { ctes: new Set(), recurring: new Set() }, depth: 0 },
  ]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, scope } = next
    let children: Child[]
    let depth = next.depth
    if (Array.isArray(value)) children = value.map((item) => [item, scope])
    else if (!isNode(value)) continue
    else {
      if (typeof value.type === 'string' || typeof value.class === 'string') depth++
      if (depth > MAX_NESTING) throw nestedTooDeeply()
      checkNode(value, scope, catalog, options, out)
      children = scopedChildren(value, scope)
    }
    for (const [child, childScope] of children.reverse()) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, scope: childScope, depth })
    }
  }
}

function checkNode(
  value: Node,
  scope: Scope,
  catalog: DuckDbCatalog,
  options: GuardOptions,
  out: Map<string, TableRef>,
): void {
  switch (value.type) {
    case 'BASE_TABLE':
      checkTable(value, scope, catalog, out)
      break
    case 'TABLE_FUNCTION': {
      const fn = (value.function as Node | undefined)?.function_name
      throw new SqlRefusedError(`Table functions are not allowed (${String(fn)}): query the connection's tables`)
    }
    case 'SHOW_REF':
      throw new SqlRefusedError('SHOW, DESCRIBE and SUMMARIZE are not allowed: use list_tables and describe_table')
  }
  // A type (`{ id, type_info }`): a cast's, a constant's, or the child of a nested type.
  if (typeof value.id === 'string' && 'type_info' in value) checkType(value)
  switch (value.class) {
    case 'PARAMETER':
      if (!options.allowParameters) {
        throw new SqlRefusedError('Placeholders ($1, ?) are not allowed in SQL: write the values into the query')
      }
      break
    case 'FUNCTION':
    case 'WINDOW':
      checkFunction(value, options)
      break
  }
}

/**
 * A node's fields with the CTE names in scope in each, as DuckDB binds them
 * (checked against DuckDB itself): a query node sees every CTE of its WITH; a
 * CTE's body sees only the CTEs before it, with or without RECURSIVE and
 * MATERIALIZED, so its own name there is the table (`WITH orders AS (SELECT *
 * FROM orders)` reads the table). A recursive CTE (a RECURSIVE_CTE_NODE: WITH
 * RECURSIVE over UNION [ALL]) sees itself in its recursive arm only; its anchor
 * reads the table of that name. Reporting a table read as a CTE would let it
 * past the allowlist and the RLS rewrite.
 */
function scopedChildren(value: Node, scope: Scope): Child[] {
  const cteMap = isNode(value.cte_map) && Array.isArray(value.cte_map.map) ? (value.cte_map.map as Node[]) : []
  const names = cteMap.map((entry) => foldDuckDbName(String(entry.key)))
  const inner = names.length === 0 ? scope : { ...scope, ctes: new Set([...scope.ctes, ...names]) }
  return Object.entries(value).flatMap(([key, child]): Child[] => {
    if (key === 'cte_map' && cteMap.length > 0) {
      return cteMap.map((entry, i) => [entry, { ...scope, ctes: new Set([...scope.ctes, ...names.slice(0, i)]) }])
    }
    if (key === 'right' && value.type === 'RECURSIVE_CTE_NODE') {
      const self = foldDuckDbName(String(value.cte_name ?? ''))
      return [[child, { ctes: new Set([...inner.ctes, self]), recurring: new Set([...inner.recurring, self]) }]]
    }
    return [[child, inner]]
  })
}

function checkTable(ref: Node, scope: Scope, catalog: DuckDbCatalog, out: Map<string, TableRef>): void {
  const table = String(ref.table_name ?? '')
  const schema = foldDuckDbName(String(ref.schema_name ?? ''))
  const database = foldDuckDbName(String(ref.catalog_name ?? ''))
  const name = [database, schema, table].filter((p) => p !== '').join('.')
  if (database === '' && schema === '' && scope.ctes.has(foldDuckDbName(table))) return
  if (schema === 'recurring' && scope.recurring.has(foldDuckDbName(table))) return
  if (/[/\\:]|\.[a-z0-9]{1,8}$/i.test(table)) {
    throw new SqlRefusedError(`Reading files is not allowed ('${table}'): query the connection's tables`)
  }
  if (DUCKDB_SYSTEM_SCHEMAS.has(schema) || DUCKDB_SYSTEM_SCHEMAS.has(database) || isDuckDbSystemName(table)) {
    throw new SqlRefusedError(`System catalogs are not available (${name}): use list_tables and describe_table`)
  }
  if (ref.at_clause !== null && ref.at_clause !== undefined) {
    throw new SqlRefusedError(`Time travel (AT) is not allowed on ${name}`)
  }
  if (database !== '' && database !== foldDuckDbName(catalog.database)) {
    throw new SqlRefusedError(`Table ${name} does not exist`)
  }
  const found = { schema: schema === '' ? 'main' : schema, table: foldDuckDbName(table) }
  const key = `${found.schema}.${found.table}`
  if (!catalog.tables.has(key)) throw new SqlRefusedError(`Table ${name} does not exist`)
  out.set(key, found)
}

function checkType(type: Node): void {
  const info = isNode(type.type_info) ? type.type_info : {}
  if (type.id === 'UNBOUND') {
    const name = String(info.name ?? '')
    const [database, schema] = [String(info.catalog ?? ''), String(info.schema ?? '')]
    if (database === '' && schema === '' && DUCKDB_ALLOWED_TYPE_NAMES.has(foldDuckDbName(name))) return
    const qualified = [database, schema, name].filter((p) => p !== '').join('.')
    throw new SqlRefusedError(`Type ${qualified} is not allowed in dev-mode SQL`)
  }
  if (!DUCKDB_ALLOWED_TYPES.has(String(type.id))) {
    throw new SqlRefusedError(`Type ${String(type.id)} is not allowed in dev-mode SQL`)
  }
}

function checkFunction(call: Node, options: GuardOptions): void {
  const name = foldDuckDbName(String(call.function_name ?? ''))
  const qualifier = [call.catalog, call.schema].map((p) => String(p ?? '')).filter((p) => p !== '')
  const session = sessionFunctionName(name)
  if (session !== undefined) {
    if (options.sessionFunctions !== true) throw sessionFunctionUnavailable(session)
    if (qualifier.length > 0) throw qualifiedSessionFunction(session, qualifier.join('.'))
    return
  }
  if (!(qualifier.length === 0 || isSyntaxCall(call, name)) || !DUCKDB_ALLOWED_FUNCTIONS.has(name)) {
    throw new SqlRefusedError(`Function ${name} is not allowed in dev-mode SQL`)
  }
}

/**
 * `main.<name>(…)`, with no catalog, for a name DuckDB's parser itself writes
 * that way for its own syntax (`DUCKDB_SYNTAX_FUNCTIONS`: `[1, 2]` is
 * `main.list_value`, `{'a': 1}` `main.struct_pack`, `EXTRACT(YEAR FROM d)`
 * `main.date_part`). The tree cannot tell such a call from the same one
 * written out, and need not: the binder looks `main` up in the catalogs an
 * unqualified name is looked up in (temp, the database, system), in that
 * order, and in no other schema, so the call reaches nothing the unqualified
 * name could not, and the allowlist decides it alike. Any other qualified
 * call (`main.abs`, `system.main.list_value`, `pg_catalog.…`) is still refused.
 */
function isSyntaxCall(call: Node, name: string): boolean {
  return (
    String(call.catalog ?? '') === '' &&
    foldDuckDbName(String(call.schema ?? '')) === 'main' &&
    DUCKDB_SYNTAX_FUNCTIONS.has(name)
  )
}
