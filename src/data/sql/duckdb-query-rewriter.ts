import { transformCteMap, transformRecursiveCteNode } from './duckdb-cte-scope.js'
import { DuckDbExpressionRewriter } from './duckdb-expression-rewriter.js'
import { foldDuckDbName } from './duckdb-names.js'
import type { DuckDbNodeTransformer } from './duckdb-node-transformer.js'
import { DuckDbPlaceholders } from './duckdb-placeholders.js'
import { DuckDbRestrictedTables } from './duckdb-restricted-table.js'
import { isNode, omit, statement } from './duckdb-rewrite-node.js'
import type { Node } from './duckdb-rewrite-node.js'
import type { DuckDbPredicateAsts, DuckDbRewriteOptions } from './duckdb-rewrite-options.js'
import { fromBindings } from './duckdb-rewrite-scope.js'
import type { Scope } from './duckdb-rewrite-scope.js'
import type { ConnectionRestrictions, TableRestriction } from './restrictions.js'
import { SqlRefusedError } from './sql-refused-error.js'

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

/**
 * The walk of the rewrite over query nodes and FROM clauses, in which every
 * base table becomes its restricted subquery; expressions and CTEs are their
 * own modules. One transform per node kind, after kysely's
 * `OperationNodeTransformer`; everything else is copied child by child. Records
 * the tables the query reads and the rules that apply to them.
 */
export class DuckDbQueryRewriter implements DuckDbNodeTransformer {
  readonly rules = new Set<string>()
  readonly tables = new Map<string, TableRestriction>()
  readonly placeholders: DuckDbPlaceholders
  /** Aliases given to base tables that another table of the same name (in another schema) shares a FROM clause with. */
  readonly #aliases = new Map<Node, string>()
  /** The visible tables by `schema.table`, folded as DuckDB folds names. */
  readonly #tables: ReadonlyMap<string, TableRestriction>
  readonly #options: DuckDbRewriteOptions
  readonly #expressions: DuckDbExpressionRewriter
  readonly #restricted: DuckDbRestrictedTables

  constructor(restrictions: ConnectionRestrictions, predicates: DuckDbPredicateAsts, options: DuckDbRewriteOptions) {
    this.#tables = new Map([...restrictions.tables].map(([key, table]) => [foldDuckDbName(key), table]))
    this.#options = options
    this.placeholders = new DuckDbPlaceholders(options.parameterCount, restrictions.session)
    this.#expressions = new DuckDbExpressionRewriter(this, this.placeholders, options)
    this.#restricted = new DuckDbRestrictedTables(predicates, options, this.placeholders)
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
    if (typeof value.class === 'string') return this.#expressions.transformExpression(value, scope)
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
        return transformRecursiveCteNode(node, scope, this)
      default:
        throw new SqlRefusedError(`This query shape is not supported (${String(node.type)})`)
    }
  }

  transformSelectNode(node: Node, outer: Scope): Node {
    const { cteMap, scope } = transformCteMap(node, outer, this)
    const inner: Scope = { ...scope, from: [...scope.from, fromBindings(node.from_table, scope.ctes, this.#aliases)] }
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
    const { cteMap, scope } = transformCteMap(node, outer, this)
    return { ...this.transformChildren(omit(node, 'cte_map'), scope), cte_map: cteMap }
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
    const schema = foldDuckDbName(String(ref.schema_name ?? ''))
    const database = foldDuckDbName(String(ref.catalog_name ?? ''))
    const cte =
      schema === ''
        ? database === '' && scope.ctes.has(foldDuckDbName(table))
        : schema === 'recurring' && scope.recurring.has(foldDuckDbName(table))
    if (cte) return this.transformChildren(ref, scope)
    const name = [database, schema, table].filter((p) => p !== '').join('.')
    if (ref.at_clause !== null && ref.at_clause !== undefined) {
      throw new SqlRefusedError(`Time travel (AT) is not allowed on ${name}`)
    }
    if (database !== '' && database !== foldDuckDbName(this.#options.database)) {
      throw new SqlRefusedError(`Table ${name} does not exist`)
    }
    const key = `${schema === '' ? 'main' : schema}.${foldDuckDbName(table)}`
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
      subquery: { node: this.#restricted.restrictedSelect(restriction), named_param_map: [] },
      column_name_alias: Array.isArray(ref.column_name_alias) ? [...(ref.column_name_alias as string[])] : [],
    }
  }
}
