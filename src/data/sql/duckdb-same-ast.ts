import { duckDbJsonNumberText } from './duckdb-ast-json.js'

type Node = Readonly<Record<string, unknown>>

/**
 * Whether two `json_serialize_sql` trees are the same query: what the DuckDB
 * rewriter checks between the tree it produced and the tree DuckDB parses
 * from the SQL it wrote for it. Source positions and the order of
 * `named_param_map` do not count, numbers compare by their text, and DuckDB's
 * way of writing a VALUES list (as `(SELECT * FROM (VALUES …) AS valueslist)`,
 * which parses to one more wrapper each time) is folded back.
 */
export function sameDuckDbAst(a: unknown, b: unknown): boolean {
  const numberA = duckDbJsonNumberText(a)
  const numberB = duckDbJsonNumberText(b)
  if (numberA !== undefined || numberB !== undefined) return numberA === numberB
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameDuckDbAst(x, b[i]))
  if (!isNode(a) || !isNode(b) || Array.isArray(b)) return a === b
  const x = unwrapValues(a)
  const y = unwrapValues(b)
  const keys = Object.keys(x).filter((k) => k !== 'query_location')
  if (keys.length !== Object.keys(y).filter((k) => k !== 'query_location').length) return false
  return keys.every((key) =>
    key === 'named_param_map'
      ? sameDuckDbAst(byKey(x[key]), byKey(y[key]))
      : Object.hasOwn(y, key) && sameDuckDbAst(x[key], y[key]),
  )
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null
}

function byKey(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  return [...(value as { key: string }[])].sort((p, q) => (p.key < q.key ? -1 : p.key > q.key ? 1 : 0))
}

/** `SELECT * FROM <from_table>`, nothing else, as `json_serialize_sql` writes it (from_table left out). */
const PLAIN_STAR_SELECT: Node = {
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
}

function unwrapValues(node: Node): Node {
  if (node.type !== 'SUBQUERY' || node.alias !== 'valueslist' || node.sample !== null) return node
  if (!Array.isArray(node.column_name_alias) || node.column_name_alias.length !== 0) return node
  const select = (node.subquery as { node?: unknown } | undefined)?.node
  if (!isNode(select)) return node
  const { from_table: from, ...rest } = select
  if (!isNode(from)) return node
  const list = unwrapValues(from)
  if (list.type !== 'EXPRESSION_LIST' || list.alias !== 'valueslist' || !sameDuckDbAst(rest, PLAIN_STAR_SELECT)) {
    return node
  }
  return list
}
