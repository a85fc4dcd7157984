import { MAX_NESTING, nestedTooDeeply } from '../nesting-limit.js'
import { SqlRefusedError } from '../sql-refused-error.js'
import { POSTGRES_ALLOWED_FUNCTIONS, POSTGRES_SYSTEM_SCHEMAS } from './postgres-functions.js'
import { POSTGRES_ALLOWED_TYPES } from './postgres-types.js'
import { qualifiedSessionFunction, sessionFunctionName, sessionFunctionUnavailable } from '../session-functions.js'

export interface PostgresTableRef {
  readonly schema: string
  readonly table: string
}

export interface PostgresCatalog {
  /** The database name, accepted as a three-part qualifier. */
  readonly database: string
  /** `schema.table` exactly as PostgreSQL names them (unquoted names are lower-case). */
  readonly tables: ReadonlySet<string>
  /** The schema an unqualified name resolves to. */
  readonly defaultSchema: string
}

export interface PostgresGuardOptions {
  readonly allowParameters: boolean
  /**
   * The RLS rewrite runs next and replaces every call of SPEC §5's SQL
   * functions (`get_username()`…) by a bound value, checking its arguments:
   * their unqualified calls pass. Otherwise they are refused, as nothing would
   * replace them and PostgreSQL would run whatever function of that name the
   * search path finds.
   */
  readonly sessionFunctions?: boolean
}

type Node = Record<string, unknown>

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((n) => String(((n as Node).String as Node | undefined)?.sval ?? '')) : []
}

/**
 * Checks the libpg-query AST of one SELECT against SPEC §5 and returns the user
 * tables it reads. Pure, and the same rules as the DuckDB guard: every node at
 * any depth is visited; CTE names are scoped as the engine scopes them; a table
 * outside the catalog and a hidden one get the same answer.
 */
export function guardPostgresSelect(
  ast: unknown,
  catalog: PostgresCatalog,
  options: PostgresGuardOptions,
): PostgresTableRef[] {
  const stmts = isNode(ast) && Array.isArray(ast.stmts) ? ast.stmts : []
  if (stmts.length !== 1) throw new SqlRefusedError('Exactly one SQL statement is accepted')
  const stmt = (stmts[0] as Node).stmt
  if (!isNode(stmt) || !isNode(stmt.SelectStmt)) {
    throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
  }
  const out = new Map<string, PostgresTableRef>()
  walk(stmt, catalog, options, out)
  return [...out.values()]
}

/** A node still to check: the field or node kind it sits under, the CTE names in scope there, its depth in nodes. */
interface Pending {
  readonly key: string
  readonly value: unknown
  readonly ctes: ReadonlySet<string>
  readonly depth: number
}

type Child = readonly [key: string, value: unknown, ctes: ReadonlySet<string>]

/**
 * Visits every node in source order with a stack of its own rather than the
 * call stack, so that input nested past `MAX_NESTING` is refused by count and
 * never by a stack overflow (the parser takes thousands of levels).
 */
function walk(
  stmt: Node,
  catalog: PostgresCatalog,
  options: PostgresGuardOptions,
  out: Map<string, PostgresTableRef>,
): void {
  const pending: Pending[] = [{ key: '', value: stmt, ctes: new Set(), depth: 0 }]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { key, value, ctes } = next
    // A node is `{ Kind: body }` and a body's fields are lower-case: each kind is a level of nesting.
    const depth = /^[A-Z]/.test(key) ? next.depth + 1 : next.depth
    if (depth > MAX_NESTING) throw nestedTooDeeply()
    let children: Child[]
    if (Array.isArray(value)) children = value.map((item) => ['', item, ctes])
    else if (!isNode(value)) continue
    else if (key === 'SelectStmt') children = selectChildren(value, ctes)
    else {
      checkNode(key, value, ctes, catalog, options, out)
      children = Object.entries(value).map(([k, v]) => [k, v, ctes])
    }
    for (const [k, v, scope] of children.reverse()) {
      if (typeof v === 'object' && v !== null) pending.push({ key: k, value: v, ctes: scope, depth })
    }
  }
}

function checkNode(
  kind: string,
  body: Node,
  ctes: ReadonlySet<string>,
  catalog: PostgresCatalog,
  options: PostgresGuardOptions,
  out: Map<string, PostgresTableRef>,
): void {
  switch (kind) {
    case 'CommonTableExpr':
      checkCteQuery(body)
      break
    case 'RangeVar':
      checkTable(body, ctes, catalog, out)
      break
    // A cast's, XMLSERIALIZE's or a SQL/JSON RETURNING clause's type: a field, or a node in a list.
    case 'typeName':
    case 'TypeName':
      checkType(body)
      break
    case 'RangeFunction': {
      const items = (body.functions as { List?: { items?: { FuncCall?: Node }[] } }[] | undefined)?.[0]?.List?.items
      const fn = names(items?.[0]?.FuncCall?.funcname).join('.') || 'a function'
      throw new SqlRefusedError(`Table functions are not allowed (${fn}): query the connection's tables`)
    }
    case 'RangeTableFunc':
    case 'JsonTable':
      throw new SqlRefusedError("Table functions are not allowed (XMLTABLE/JSON_TABLE): query the connection's tables")
    case 'ParamRef':
      if (!options.allowParameters) {
        throw new SqlRefusedError('Placeholders ($1, ?) are not allowed in SQL: write the values into the query')
      }
      break
    case 'FuncCall': {
      const parts = names(body.funcname)
      const name = parts[parts.length - 1] ?? ''
      const session = sessionFunctionName(name)
      if (session !== undefined) {
        if (options.sessionFunctions !== true) throw sessionFunctionUnavailable(session)
        if (parts.length !== 1) throw qualifiedSessionFunction(session, parts.slice(0, -1).join('.'))
        break
      }
      if (!(parts.length === 1 || isSqlSyntaxCall(body, parts)) || !POSTGRES_ALLOWED_FUNCTIONS.has(name)) {
        throw new SqlRefusedError(`Function ${parts.join('.')} is not allowed in dev-mode SQL`)
      }
      break
    }
    default:
      // Any statement nested in the SELECT that is not a SELECT (a write in WITH is caught above, with its verb).
      if (kind.endsWith('Stmt')) throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
  }
}

/**
 * A call the parser wrote for SQL-standard syntax (`EXTRACT(YEAR FROM d)`,
 * `TRIM(BOTH ' ' FROM s)`, `ts AT TIME ZONE 'UTC'`): `pg_catalog.<name>` with
 * funcformat COERCE_SQL_SYNTAX, which a call written out as
 * `pg_catalog.extract(…)` never gets (COERCE_EXPLICIT_CALL: still refused, as
 * every qualified name is). Its name resolves in pg_catalog whatever the
 * search path, so the allowlist decides it as it does an unqualified call.
 */
function isSqlSyntaxCall(call: Node, parts: readonly string[]): boolean {
  return call.funcformat === 'COERCE_SQL_SYNTAX' && parts.length === 2 && parts[0] === 'pg_catalog'
}

/**
 * The fields of a SELECT body (a `SelectStmt`, or an arm of a set operation),
 * with its WITH names scoped as PostgreSQL scopes them: the query sees them
 * all; in a plain WITH a CTE's body sees only the CTEs before it, so its own
 * name there is the table (`WITH orders AS (SELECT * FROM orders)` reads the
 * table); in WITH RECURSIVE every name of the list is a CTE, in every body.
 * Reporting a table read as a CTE would let it past the allowlist and the RLS rewrite.
 */
function selectChildren(select: Node, outer: ReadonlySet<string>): Child[] {
  if (select.intoClause !== undefined) throw new SqlRefusedError('SELECT INTO creates a table and is not allowed')
  if (select.lockingClause !== undefined) throw new SqlRefusedError('FOR UPDATE and FOR SHARE are not allowed')
  const withClause = isNode(select.withClause) ? select.withClause : {}
  const ctes = Array.isArray(withClause.ctes) ? (withClause.ctes as Node[]) : []
  const cteNames = ctes.map((cte) => String((cte.CommonTableExpr as Node | undefined)?.ctename ?? ''))
  const scope = cteNames.length === 0 ? outer : new Set([...outer, ...cteNames])
  return Object.entries(select).flatMap(([key, child]): Child[] => {
    if (key === 'withClause') {
      return ctes.map((cte, i) => {
        const visible = withClause.recursive === true ? cteNames : cteNames.slice(0, i)
        return ['', cte, new Set([...outer, ...visible])]
      })
    }
    // The arms of a set operation are SELECT bodies without the node wrapper, each with its own WITH.
    if (key === 'larg' || key === 'rarg') return [['SelectStmt', child, scope]]
    return [[key, child, scope]]
  })
}

const WRITES: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
}

/**
 * PostgreSQL runs a data-modifying CTE even when nothing reads it
 * (`WITH x AS (DELETE …) SELECT 1`): only the READ ONLY transaction would stop
 * it, and the guard must not lean on that alone.
 */
function checkCteQuery(cte: Node): void {
  const [kind] = isNode(cte.ctequery) ? Object.keys(cte.ctequery) : []
  if (kind === 'SelectStmt') return
  const verb = WRITES[kind ?? ''] ?? String(kind)
  throw new SqlRefusedError(`Data-modifying statements in WITH are not allowed (${verb}): dev-mode SQL only reads`)
}

function checkType(type: Node): void {
  const parts = names(type.names)
  const [schema, name] = parts.length === 1 ? ['pg_catalog', parts[0]] : parts
  if (
    parts.length > 2 ||
    schema !== 'pg_catalog' ||
    !POSTGRES_ALLOWED_TYPES.has(name ?? '') ||
    type.pct_type === true ||
    type.setof === true
  ) {
    throw new SqlRefusedError(`Type ${parts.join('.')} is not allowed in dev-mode SQL`)
  }
}

function checkTable(
  ref: Node,
  ctes: ReadonlySet<string>,
  catalog: PostgresCatalog,
  out: Map<string, PostgresTableRef>,
): void {
  const table = String(ref.relname ?? '')
  const schema = typeof ref.schemaname === 'string' ? ref.schemaname : ''
  const database = typeof ref.catalogname === 'string' ? ref.catalogname : ''
  const name = [database, schema, table].filter((p) => p !== '').join('.')
  if (schema === '' && database === '' && ctes.has(table)) return
  if (POSTGRES_SYSTEM_SCHEMAS.has(schema) || table.startsWith('pg_')) {
    throw new SqlRefusedError(`System catalogs are not available (${name}): use list_tables and describe_table`)
  }
  if (database !== '' && database !== catalog.database) throw new SqlRefusedError(`Table ${name} does not exist`)
  const key = `${schema === '' ? catalog.defaultSchema : schema}.${table}`
  if (!catalog.tables.has(key)) throw new SqlRefusedError(`Table ${name} does not exist`)
  const [s, t] = [schema === '' ? catalog.defaultSchema : schema, table]
  out.set(key, { schema: s, table: t })
}
