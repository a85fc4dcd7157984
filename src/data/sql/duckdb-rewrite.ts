import { GatehouseError } from '../../domain/errors.js'
import { SqlRefusedError } from './sql-refused-error.js'
import type {
  ConnectionRestrictions,
  RowAlternative,
  RowPredicate,
  SessionValues,
  TableRestriction,
} from './restrictions.js'
import { duckDbSessionCallSyntax, duckDbSessionParameter, isDuckDbSessionCall } from './duckdb-session-functions.js'
import { sessionCall, sessionCallKey, sessionValue } from './session-functions.js'
import type { SessionCall } from './session-functions.js'

/** A node of DuckDB's `json_serialize_sql` AST. Nodes are never mutated: every transform returns new ones. */
type Node = Readonly<Record<string, unknown>>

type PredicateValue = RowPredicate['values'][number]

/** Whose values a run of placeholders binds: a row rule's (as many as it has), or one session function call's. */
export type DuckDbParameterSource = { readonly alternative: RowAlternative } | { readonly session: SessionCall }

export interface DuckDbRewriteOptions {
  /** The database's own catalog name (`current_database()`), accepted as a qualifier, as the guard does. */
  readonly database: string
  /** Parameters the user's SQL binds (`$1…$k`, custom tools): the rules' values are numbered after them. */
  readonly parameterCount: number
  /** Each table's columns in catalog order (`schema.table` → names), to order the union of several policies' columns. */
  readonly tableColumns?: ReadonlyMap<string, readonly string[]>
  /**
   * The names DuckDB gives the query's unnamed select-list expressions that
   * the rewrite changes (`duckdb-expression-names.ts`), by node of the input:
   * each keeps its name as an alias, so a column called
   * `(SELECT count_star() FROM orders)` is not renamed after the subquery
   * that replaced `orders`.
   */
  readonly expressionNames?: ReadonlyMap<unknown, string>
}

/**
 * Each row rule's WHERE expression as DuckDB parsed it, by the rule's SQL
 * text (`duckdb-row-rule.ts`). The rewrite never parses SQL itself.
 */
export type DuckDbPredicateAsts = ReadonlyMap<string, unknown>

export interface DuckDbRewrite {
  /** The rewritten statement list, in `json_serialize_sql` form. */
  readonly ast: unknown
  /** The rules' and the session functions' values in placeholder order: `$(parameterCount + 1)` binds `values[0]`. */
  readonly values: readonly PredicateValue[]
  /** Whose values `values` holds, in that order. */
  readonly sources: readonly DuckDbParameterSource[]
  /** `policy.rule` of every alternative of every table the query reads. */
  readonly appliedRules: readonly string[]
  /** The tables the query reads. */
  readonly tables: readonly TableRestriction[]
}

/**
 * Rewrites one SELECT (DuckDB's own AST) so that it reads only what
 * `restrictions` admit (SPEC §3.2 rules, §5): every reference to a base table,
 * at any depth, becomes `(SELECT <visible columns> FROM schema.table WHERE
 * <rules>) AS <the reference's alias or table name>`, where a column that not
 * every policy shows is `CASE WHEN <rules of the policies that show it> THEN c
 * END`. A table that is not visible gets the guard's answer for a table that
 * does not exist. Each call of SPEC §5's SQL functions becomes `$n::VARCHAR`
 * bound to its value from `restrictions.session` (`session-functions.ts`).
 * Pure: no I/O, no engine; the input is never modified.
 *
 * CTE names are scoped exactly as DuckDB binds them (checked against DuckDB
 * 1.5): a CTE is visible to the CTEs after it and to the query that defines
 * it, not to its own body, except in the recursive arm of a recursive CTE; a
 * name DuckDB would resolve to a base table is always rewritten as one.
 */
export function rewriteDuckDbSelect(
  ast: unknown,
  restrictions: ConnectionRestrictions,
  predicates: DuckDbPredicateAsts,
  options: DuckDbRewriteOptions,
): DuckDbRewrite {
  const rewriter = new DuckDbRewriter(restrictions, predicates, options)
  const out = rewriter.transformRoot(ast)
  return {
    ast: out,
    values: rewriter.values,
    sources: rewriter.sources,
    appliedRules: [...rewriter.rules],
    tables: [...rewriter.tables.values()],
  }
}

/**
 * The statement `SELECT <visible columns> FROM schema.table WHERE <rules>` for
 * one table alone, its placeholders numbered from `$1` in order of first use:
 * what the engine prepares once per table to check that the rules bind to
 * that table's own columns and nothing else.
 */
export function duckDbRestrictedTable(
  table: TableRestriction,
  predicates: DuckDbPredicateAsts,
  options: Omit<DuckDbRewriteOptions, 'parameterCount'>,
): { readonly ast: unknown; readonly values: readonly PredicateValue[] } {
  const rewriter = new DuckDbRewriter({ tables: new Map() }, predicates, { ...options, parameterCount: 0 })
  const node = rewriter.restrictedSelect(table)
  return { ast: { error: false, statements: [statement(node)] }, values: rewriter.values }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Where a name is being resolved: the CTE names in scope and the FROM bindings of each enclosing SELECT. */
interface Scope {
  readonly ctes: ReadonlySet<string>
  /** The recursive CTEs whose recursive arm this is: `recurring.<name>` (under any catalog) is theirs (USING KEY). */
  readonly recurring: ReadonlySet<string>
  /** Outermost first: one list per enclosing SELECT. */
  readonly from: readonly (readonly Binding[])[]
}

/** A name a FROM clause binds; `table` for a base table without alias, which `schema.table.column` may name. */
interface Binding {
  readonly name: string
  readonly table?: { readonly schema: string; readonly table: string; readonly alias: string }
}

const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE'])
const TABLE_REFS = new Set([
  'BASE_TABLE',
  'JOIN',
  'SUBQUERY',
  'TABLE_FUNCTION',
  'EXPRESSION_LIST',
  'EMPTY',
  'PIVOT',
  'SHOW_REF',
])

/** One transform per node kind, after kysely's `OperationNodeTransformer`; everything else is copied child by child. */
class DuckDbRewriter {
  readonly values: PredicateValue[] = []
  readonly sources: DuckDbParameterSource[] = []
  readonly rules = new Set<string>()
  readonly tables = new Map<string, TableRestriction>()
  readonly #offsets = new Map<RowAlternative, number>()
  /** The placeholder of each distinct session function call (`sessionCallKey`): repeats share it, as GROUP BY needs. */
  readonly #sessionParameters = new Map<string, number>()
  readonly #session: SessionValues | undefined
  /** Aliases given to base tables that another table of the same name (in another schema) shares a FROM clause with. */
  readonly #aliases = new Map<Node, string>()
  /** The visible tables by `schema.table`, folded as DuckDB folds names. */
  readonly #tables: ReadonlyMap<string, TableRestriction>
  readonly #predicates: DuckDbPredicateAsts
  readonly #options: DuckDbRewriteOptions

  constructor(restrictions: ConnectionRestrictions, predicates: DuckDbPredicateAsts, options: DuckDbRewriteOptions) {
    this.#tables = new Map([...restrictions.tables].map(([key, table]) => [lower(key), table]))
    this.#session = restrictions.session
    this.#predicates = predicates
    this.#options = options
  }

  transformRoot(ast: unknown): Node {
    if (!isNode(ast) || ast.error !== false || !Array.isArray(ast.statements) || ast.statements.length !== 1) {
      throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
    }
    const root = ast.statements[0] as Node
    if (!isNode(root.node) || !QUERY_NODES.has(String(root.node.type))) {
      throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
    }
    const node = this.transformQueryNode(root.node, { ctes: new Set(), recurring: new Set(), from: [] })
    return { ...ast, statements: [{ ...root, ...statement(node) }] }
  }

  transformValue(value: unknown, scope: Scope): unknown {
    if (Array.isArray(value)) return value.map((item) => this.transformValue(item, scope))
    if (!isNode(value)) return value
    if (value.type === 'BASE_TABLE') return this.transformBaseTable(value, scope)
    if (typeof value.class === 'string') return this.transformExpression(value, scope)
    if (QUERY_NODES.has(String(value.type))) return this.transformQueryNode(value, scope)
    if (TABLE_REFS.has(String(value.type))) return this.transformTableRef(value, scope)
    // A query node of a kind this rewriter does not know could define CTEs it cannot scope: refuse it.
    if ('cte_map' in value) throw new SqlRefusedError(`This query shape is not supported (${String(value.type)})`)
    return this.transformChildren(value, scope)
  }

  transformChildren(node: Node, scope: Scope): Node {
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node)) out[key] = this.transformValue(child, scope)
    return out
  }

  transformQueryNode(node: Node, scope: Scope): Node {
    switch (node.type) {
      case 'SELECT_NODE':
        return this.transformSelectNode(node, scope)
      case 'SET_OPERATION_NODE':
        return this.transformSetOperationNode(node, scope)
      case 'RECURSIVE_CTE_NODE':
        return this.transformRecursiveCteNode(node, scope)
      default:
        throw new SqlRefusedError(`This query shape is not supported (${String(node.type)})`)
    }
  }

  transformSelectNode(node: Node, outer: Scope): Node {
    const { cteMap, scope } = this.transformCteMap(node, outer)
    const inner: Scope = { ...scope, from: [...scope.from, this.#fromBindings(node.from_table, scope.ctes)] }
    const out = this.transformChildren(omit(node, 'cte_map'), inner)
    const names = this.#options.expressionNames
    const before = node.select_list as unknown[]
    const selectList = (out.select_list as Node[]).map((expression, i) => {
      const name = names?.get(before[i])
      return name === undefined ? expression : { ...expression, alias: name }
    })
    return { ...out, select_list: selectList, cte_map: cteMap }
  }

  transformSetOperationNode(node: Node, outer: Scope): Node {
    const { cteMap, scope } = this.transformCteMap(node, outer)
    return { ...this.transformChildren(omit(node, 'cte_map'), scope), cte_map: cteMap }
  }

  /** The CTE's own name is visible in its recursive arm only: in the other, DuckDB reads the base table of that name. */
  transformRecursiveCteNode(node: Node, outer: Scope): Node {
    const { cteMap, scope } = this.transformCteMap(node, outer)
    const self = lower(String(node.cte_name ?? ''))
    const recursive: Scope = {
      ...scope,
      ctes: new Set([...scope.ctes, self]),
      recurring: new Set([...scope.recurring, self]),
    }
    return {
      ...this.transformChildren(omit(node, 'cte_map', 'right'), scope),
      right: this.transformValue(node.right, recursive),
      cte_map: cteMap,
    }
  }

  /** Each CTE sees the ones before it (not itself: DuckDB binds that name to the table); the query sees them all. */
  transformCteMap(node: Node, outer: Scope): { cteMap: unknown; scope: Scope } {
    const cteMap = node.cte_map as Node | undefined
    const entries = Array.isArray(cteMap?.map) ? (cteMap.map as Node[]) : []
    let visible = outer.ctes
    const map = entries.map((entry) => {
      const value = entry.value as Node
      const query = value.query as Node
      const body = this.transformValue(query.node, { ...outer, ctes: visible })
      visible = new Set([...visible, lower(String(entry.key))])
      return {
        ...entry,
        value: { ...this.transformChildren(omit(value, 'query'), outer), query: { ...query, node: body } },
      }
    })
    return { cteMap: cteMap === undefined ? cteMap : { ...cteMap, map }, scope: { ...outer, ctes: visible } }
  }

  transformTableRef(node: Node, scope: Scope): Node {
    switch (node.type) {
      case 'TABLE_FUNCTION':
        return this.transformTableFunction(node)
      case 'SHOW_REF':
        throw new SqlRefusedError('SHOW, DESCRIBE and SUMMARIZE are not allowed: use list_tables and describe_table')
      default:
        // JOIN, SUBQUERY, EXPRESSION_LIST, PIVOT, EMPTY: their children carry the tables.
        return this.transformChildren(node, scope)
    }
  }

  transformTableFunction(node: Node): never {
    const fn = (node.function as Node | undefined)?.function_name
    throw new SqlRefusedError(`Table functions are not allowed (${String(fn)}): query the connection's tables`)
  }

  /** A base table becomes its restricted subquery, under the alias the query gave it (or its name). */
  transformBaseTable(ref: Node, scope: Scope): Node {
    const table = String(ref.table_name ?? '')
    const schema = lower(String(ref.schema_name ?? ''))
    const database = lower(String(ref.catalog_name ?? ''))
    const cte =
      schema === ''
        ? database === '' && scope.ctes.has(lower(table))
        : schema === 'recurring' && scope.recurring.has(lower(table))
    if (cte) return this.transformChildren(ref, scope)
    const name = [database, schema, table].filter((p) => p !== '').join('.')
    if (ref.at_clause !== null && ref.at_clause !== undefined) {
      throw new SqlRefusedError(`Time travel (AT) is not allowed on ${name}`)
    }
    if (database !== '' && database !== lower(this.#options.database)) {
      throw new SqlRefusedError(`Table ${name} does not exist`)
    }
    const key = `${schema === '' ? 'main' : schema}.${lower(table)}`
    const restriction = this.#tables.get(key)
    if (restriction === undefined) throw new SqlRefusedError(`Table ${name} does not exist`)
    this.tables.set(key, restriction)
    for (const alternative of restriction.alternatives) {
      for (const rule of alternative.rules) this.rules.add(`${alternative.policy}.${rule}`)
    }
    const alias = String(ref.alias ?? '') === '' ? (this.#aliases.get(ref) ?? table) : String(ref.alias)
    return {
      type: 'SUBQUERY',
      alias,
      sample: ref.sample ?? null,
      subquery: { node: this.restrictedSelect(restriction), named_param_map: [] },
      column_name_alias: Array.isArray(ref.column_name_alias) ? [...(ref.column_name_alias as string[])] : [],
    }
  }

  transformExpression(node: Node, scope: Scope): Node {
    if (isDuckDbSessionCall(node)) return this.transformSessionCall(node)
    switch (node.class) {
      case 'COLUMN_REF':
        return this.transformColumnRef(node, scope)
      case 'STAR':
        return this.transformStar(node, scope)
      case 'PARAMETER':
        return this.transformParameter(node)
      default:
        return this.transformChildren(node, scope)
    }
  }

  /**
   * `schema.table.column` (and `catalog.schema.table.column`) name a table
   * without alias; once that table is a subquery aliased by its bare name, the
   * reference becomes `table.column`.
   */
  transformColumnRef(node: Node, scope: Scope): Node {
    const names = (node.column_names as string[]).map(String)
    const target = this.#qualifiedTable(names, scope)
    if (target === undefined) return { ...node, column_names: names }
    return { ...node, column_names: [target.alias, ...names.slice(target.parts)] }
  }

  transformStar(node: Node, scope: Scope): Node {
    const out = this.transformChildren(omit(node, 'qualified_exclude_list'), scope)
    const excluded = Array.isArray(node.qualified_exclude_list) ? (node.qualified_exclude_list as Node[]) : []
    const qualifiedExcludeList = excluded.map((entry) => {
      const names = [entry.catalog, entry.schema, entry.table].map((n) => String(n ?? '')).filter((n) => n !== '')
      const target = names.length >= 2 ? this.#qualifiedTable([...names, String(entry.column)], scope) : undefined
      return target === undefined ? { ...entry } : { ...entry, catalog: '', schema: '', table: target.alias }
    })
    return { ...out, qualified_exclude_list: qualifiedExcludeList }
  }

  /**
   * A call of one of SPEC §5's SQL functions (`get_username()`…) becomes a
   * placeholder bound to its value, never the value written as SQL; DuckDB
   * never sees the name, so no macro of that name can answer instead.
   */
  transformSessionCall(node: Node): Node {
    const call = sessionCall(duckDbSessionCallSyntax(node), this.#session)
    const key = sessionCallKey(call)
    let identifier = this.#sessionParameters.get(key)
    if (identifier === undefined) {
      identifier = this.#options.parameterCount + this.values.length + 1
      this.#sessionParameters.set(key, identifier)
      this.values.push(sessionValue(call, this.#session))
      this.sources.push({ session: call })
    }
    return duckDbSessionParameter(identifier, String(node.alias ?? ''))
  }

  /** The user's own placeholders bind the user's values only, never a rule's. */
  transformParameter(node: Node): Node {
    const identifier = String(node.identifier)
    const n = Number(identifier)
    if (!/^\d+$/.test(identifier) || n < 1 || n > this.#options.parameterCount) {
      throw new SqlRefusedError(`The query uses a parameter that was not supplied ($${identifier})`)
    }
    return { ...node }
  }

  #qualifiedTable(names: readonly string[], scope: Scope): { alias: string; parts: number } | undefined {
    if (names.length < 3) return undefined
    const folded = names.map(lower)
    const database = lower(this.#options.database)
    for (let depth = scope.from.length - 1; depth >= 0; depth--) {
      for (const binding of scope.from[depth] ?? []) {
        const t = binding.table
        if (t === undefined) continue
        let parts = 0
        if (folded.length >= 4 && folded[0] === database && folded[1] === t.schema && folded[2] === t.table) parts = 3
        else if (folded[0] === t.schema && folded[1] === t.table) parts = 2
        if (parts === 0) continue
        this.#checkUnshadowed(binding, depth, scope)
        return { alias: t.alias, parts }
      }
    }
    return undefined
  }

  /** `main.orders.x` must not come to mean another binding named `orders` once the schema is dropped. */
  #checkUnshadowed(binding: Binding, depth: number, scope: Scope): void {
    const t = binding.table as NonNullable<Binding['table']>
    for (let d = depth; d < scope.from.length; d++) {
      for (const other of scope.from[d] ?? []) {
        if (other === binding || other.name !== binding.name) continue
        if (d === depth && other.table?.schema === t.schema && other.table.table === t.table) continue
        throw new SqlRefusedError(
          `${t.schema}.${t.table} and another table are both named ${binding.name} here: give the tables aliases`,
        )
      }
    }
  }

  /**
   * The names a FROM clause binds, through its joins (not into subqueries,
   * which bind their own). Two tables without alias that share a name
   * (`main.orders`, `sales.orders`) can only be told apart by their schema,
   * which a subquery's alias cannot carry: each gets its qualified name as
   * alias (`"main.orders"`), and its qualified references follow. Their bare
   * name was ambiguous to begin with.
   */
  #fromBindings(from: unknown, ctes: ReadonlySet<string>): Binding[] {
    const refs: Node[] = []
    const collect = (ref: unknown): void => {
      if (!isNode(ref)) return
      if (ref.type === 'JOIN') {
        collect(ref.left)
        collect(ref.right)
      } else refs.push(ref)
    }
    collect(from)
    const bindings = refs.map((ref) => ({ ref, binding: binding(ref, ctes) }))
    return bindings
      .map(({ ref, binding: b }) => {
        if (b?.table === undefined) return b
        const t = b.table
        const clash = bindings.some(
          ({ binding: o }) => o?.table !== undefined && o.name === b.name && o.table.schema !== t.schema,
        )
        if (!clash) return b
        const alias = `${t.schema}.${t.table}`
        this.#aliases.set(ref, alias)
        return { name: alias, table: { ...t, alias } }
      })
      .filter((b): b is Binding => b !== undefined)
  }

  /** `SELECT <visible columns> FROM schema.table WHERE <p1 OR p2 …>`, the cell rule applied per column. */
  restrictedSelect(table: TableRestriction): Node {
    const key = `${table.schema}.${table.table}`
    const catalogOrder = this.#options.tableColumns?.get(key)
    const columns = unionColumns(table.alternatives, catalogOrder)
    const everyRow = table.alternatives.some((a) => a.predicate === null)
    const selectList = columns.map((column) => {
      const showing = table.alternatives.filter((a) => a.columns.includes(column))
      const name = catalogOrder?.find((c) => lower(c) === lower(column)) ?? column
      const ref = columnRef(name)
      if (showing.length === table.alternatives.length || showing.some((a) => a.predicate === null)) return ref
      return {
        class: 'CASE',
        type: 'CASE_EXPR',
        alias: name,
        case_checks: [{ when_expr: this.#anyOf(showing), then_expr: ref }],
        else_expr: NULL_CONSTANT,
      }
    })
    return {
      type: 'SELECT_NODE',
      modifiers: [],
      cte_map: { map: [] },
      select_list: selectList,
      from_table: {
        type: 'BASE_TABLE',
        alias: '',
        sample: null,
        schema_name: table.schema,
        table_name: table.table,
        column_name_alias: [],
        catalog_name: '',
        at_clause: null,
      },
      where_clause: everyRow ? null : this.#anyOf(table.alternatives),
      group_expressions: [],
      group_sets: [],
      aggregate_handling: 'STANDARD_HANDLING',
      having: null,
      sample: null,
      qualify: null,
    }
  }

  /** `p1 OR p2 …`, flattened as DuckDB's parser flattens it, so the SQL text parses back to this very tree. */
  #anyOf(alternatives: readonly RowAlternative[]): Node {
    const children = alternatives.flatMap((alternative) => {
      const predicate = this.#predicate(alternative)
      return predicate.type === 'CONJUNCTION_OR' ? (predicate.children as Node[]) : [predicate]
    })
    if (children.length === 1) return children[0] as Node
    return { class: 'CONJUNCTION', type: 'CONJUNCTION_OR', alias: '', children }
  }

  /** The alternative's rule with its `$1…$n` renumbered after the user's parameters and the rules before it. */
  #predicate(alternative: RowAlternative): Node {
    const predicate = alternative.predicate as RowPredicate
    const ast = this.#predicates.get(predicate.sql)
    if (!isNode(ast)) {
      throw new GatehouseError('INTERNAL', 'A row rule cannot be applied', {
        detail: `no parsed form for the rule of ${alternative.policy}: ${predicate.sql}`,
      })
    }
    let offset = this.#offsets.get(alternative)
    if (offset === undefined) {
      offset = this.#options.parameterCount + this.values.length
      this.#offsets.set(alternative, offset)
      this.values.push(...predicate.values)
      this.sources.push({ alternative })
    }
    return renumber(ast, offset, predicate) as Node
  }
}

function renumber(value: unknown, offset: number, predicate: RowPredicate): unknown {
  if (Array.isArray(value)) return value.map((item) => renumber(item, offset, predicate))
  if (!isNode(value)) return value
  if (value.class === 'PARAMETER') {
    const n = Number(value.identifier)
    if (!Number.isInteger(n) || n < 1 || n > predicate.values.length) {
      throw new GatehouseError('INTERNAL', 'A row rule cannot be applied', {
        detail: `the rule uses $${String(value.identifier)} but binds ${predicate.values.length} values: ${predicate.sql}`,
      })
    }
    return { ...value, identifier: String(offset + n) }
  }
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) out[key] = renumber(child, offset, predicate)
  return out
}

/** The union of the alternatives' columns, in catalog order when known, else in the order the alternatives list them. */
function unionColumns(alternatives: readonly RowAlternative[], catalogOrder: readonly string[] | undefined): string[] {
  const union: string[] = []
  for (const alternative of alternatives) {
    alternative.columns.forEach((column, i) => {
      if (union.includes(column)) return
      // Before the next of this alternative's columns already placed, else last: each list keeps its order.
      const next = alternative.columns.slice(i + 1).find((c) => union.includes(c))
      union.splice(next === undefined ? union.length : union.indexOf(next), 0, column)
    })
  }
  if (catalogOrder === undefined) return union
  const position = new Map(catalogOrder.map((c, i) => [lower(c), i]))
  return union.sort((a, b) => (position.get(a) ?? Infinity) - (position.get(b) ?? Infinity))
}

/** What one FROM item binds: its alias, or for a base table without one, its name (and schema). */
function binding(ref: Node, ctes: ReadonlySet<string>): Binding | undefined {
  const alias = String(ref.alias ?? '')
  if (alias !== '') return { name: lower(alias) }
  if (ref.type !== 'BASE_TABLE') return undefined
  const table = String(ref.table_name ?? '')
  const schema = lower(String(ref.schema_name ?? ''))
  if (schema === '' && String(ref.catalog_name ?? '') === '' && ctes.has(lower(table))) {
    return { name: lower(table) }
  }
  return { name: lower(table), table: { schema: schema || 'main', table: lower(table), alias: table } }
}

/**
 * Names compare as DuckDB compares them: case-insensitively in ASCII only,
 * after its parser has put the text in Unicode NFC (so `"ÅB"` and `åb` are two
 * names to DuckDB, and must not be one here, or a CTE could hide a table).
 */
function lower(name: string): string {
  return name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
}

function columnRef(name: string): Node {
  return { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', column_names: [name] }
}

const NULL_CONSTANT: Node = {
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  value: { type: { id: 'NULL', type_info: null }, is_null: true },
}

/** A statement with its `named_param_map`, which DuckDB derives from the placeholders the query holds. */
function statement(node: Node): Node {
  const identifiers = new Set<string>()
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect)
    else if (isNode(value)) {
      if (value.class === 'PARAMETER') identifiers.add(String(value.identifier))
      Object.values(value).forEach(collect)
    }
  }
  collect(node)
  const sorted = [...identifiers].sort((a, b) => Number(a) - Number(b))
  return { node, named_param_map: sorted.map((key) => ({ key, value: Number(key) })) }
}

function omit(node: Node, ...keys: string[]): Node {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) if (!keys.includes(key)) out[key] = value
  return out
}
