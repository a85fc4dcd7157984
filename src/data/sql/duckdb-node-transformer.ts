import type { Node } from './duckdb-rewrite-node.js'
import type { Scope } from './duckdb-rewrite-scope.js'

/**
 * The walk of the rewrite (`DuckDbQueryRewriter`) as the other node families
 * (expressions, CTEs) see it: they hand their children back to it, so none of
 * them imports the walk.
 */
export interface DuckDbNodeTransformer {
  /** Any value of the tree: arrays item by item, nodes by kind, everything else as is. */
  transformValue(value: unknown, scope: Scope): unknown
  /** A node of no kind of its own: copied child by child. */
  transformChildren(node: Node, scope: Scope): Node
}
