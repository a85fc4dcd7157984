import { foldDuckDbName } from './duckdb-names.js'
import type { DuckDbNodeTransformer } from './duckdb-node-transformer.js'
import { omit } from './duckdb-rewrite-node.js'
import type { Node } from './duckdb-rewrite-node.js'
import type { Scope } from './duckdb-rewrite-scope.js'

/**
 * A query's CTEs, each body rewritten where DuckDB binds it (checked against
 * DuckDB 1.5): each CTE sees the ones before it (not itself: DuckDB binds that
 * name to the table); the query sees them all, which the returned scope holds.
 */
export function transformCteMap(
  node: Node,
  outer: Scope,
  walk: DuckDbNodeTransformer,
): { cteMap: unknown; scope: Scope } {
  const cteMap = node.cte_map as Node | undefined
  const entries = Array.isArray(cteMap?.map) ? (cteMap.map as Node[]) : []
  let visible = outer.ctes
  const map = entries.map((entry) => {
    const value = entry.value as Node
    const query = value.query as Node
    const body = walk.transformValue(query.node, { ...outer, ctes: visible })
    visible = new Set([...visible, foldDuckDbName(String(entry.key))])
    return {
      ...entry,
      value: { ...walk.transformChildren(omit(value, 'query'), outer), query: { ...query, node: body } },
    }
  })
  return { cteMap: cteMap === undefined ? cteMap : { ...cteMap, map }, scope: { ...outer, ctes: visible } }
}

/** The CTE's own name is visible in its recursive arm only: in the other, DuckDB reads the base table of that name. */
export function transformRecursiveCteNode(node: Node, outer: Scope, walk: DuckDbNodeTransformer): Node {
  const { cteMap, scope } = transformCteMap(node, outer, walk)
  const self = foldDuckDbName(String(node.cte_name ?? ''))
  const recursive: Scope = {
    ...scope,
    ctes: new Set([...scope.ctes, self]),
    recurring: new Set([...scope.recurring, self]),
  }
  return {
    ...walk.transformChildren(omit(node, 'cte_map', 'right'), scope),
    right: walk.transformValue(node.right, recursive),
    cte_map: cteMap,
  }
}
