import type { DuckDbNodeTransformer } from './duckdb-node-transformer.js'
import type { DuckDbPlaceholders } from './duckdb-placeholders.js'
import { omit } from './duckdb-rewrite-node.js'
import type { Node } from './duckdb-rewrite-node.js'
import type { DuckDbRewriteOptions } from './duckdb-rewrite-options.js'
import { qualifiedTable } from './duckdb-rewrite-scope.js'
import type { Scope } from './duckdb-rewrite-scope.js'
import { duckDbSessionCallSyntax, duckDbSessionParameter, isDuckDbSessionCall } from './duckdb-session-functions.js'
import { SqlRefusedError } from './sql-refused-error.js'

/**
 * The rewrite of expressions, one method per kind that changes: qualified
 * column references follow their table into its subquery, session function
 * calls become placeholders, and the user's placeholders are checked. Any
 * other expression goes back to the walk child by child.
 */
export class DuckDbExpressionRewriter {
  readonly #walk: DuckDbNodeTransformer
  readonly #placeholders: DuckDbPlaceholders
  readonly #options: DuckDbRewriteOptions

  constructor(walk: DuckDbNodeTransformer, placeholders: DuckDbPlaceholders, options: DuckDbRewriteOptions) {
    this.#walk = walk
    this.#placeholders = placeholders
    this.#options = options
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
        return this.#walk.transformChildren(node, scope)
    }
  }

  /**
   * `schema.table.column` (and `catalog.schema.table.column`) name a table
   * without alias; once that table is a subquery aliased by its bare name, the
   * reference becomes `table.column`.
   */
  transformColumnRef(node: Node, scope: Scope): Node {
    const names = (node.column_names as string[]).map(String)
    const target = qualifiedTable(names, scope, this.#options.database)
    if (target === undefined) return { ...node, column_names: names }
    return { ...node, column_names: [target.alias, ...names.slice(target.parts)] }
  }

  transformStar(node: Node, scope: Scope): Node {
    const out = this.#walk.transformChildren(omit(node, 'qualified_exclude_list'), scope)
    const excluded = Array.isArray(node.qualified_exclude_list) ? (node.qualified_exclude_list as Node[]) : []
    const qualifiedExcludeList = excluded.map((entry) => {
      const names = [entry.catalog, entry.schema, entry.table].map((n) => String(n ?? '')).filter((n) => n !== '')
      const target =
        names.length >= 2 ? qualifiedTable([...names, String(entry.column)], scope, this.#options.database) : undefined
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
    const identifier = this.#placeholders.sessionParameter(duckDbSessionCallSyntax(node))
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
}
