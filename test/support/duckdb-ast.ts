/** Builders for the shapes `json_serialize_sql` writes (DuckDB 1.5), and a small renderer to read trees by. */
export type N = Record<string, unknown>
export const col = (...names: string[]): N => ({
  class: 'COLUMN_REF',
  type: 'COLUMN_REF',
  alias: '',
  column_names: names,
})
export const int = (value: number): N => ({
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  value: { type: { id: 'INTEGER', type_info: null }, is_null: false, value },
})
export const param = (n: number): N => ({
  class: 'PARAMETER',
  type: 'VALUE_PARAMETER',
  alias: '',
  identifier: String(n),
})
export const eq = (left: N, right: N): N => ({ class: 'COMPARISON', type: 'COMPARE_EQUAL', alias: '', left, right })
export const as = (expression: N, alias: string): N => ({ ...expression, alias })
export const star = (relation = '', qualifiedExclude: N[] = []): N => ({
  class: 'STAR',
  type: 'STAR',
  alias: '',
  relation_name: relation,
  exclude_list: [],
  replace_list: [],
  columns: false,
  expr: null,
  qualified_exclude_list: qualifiedExclude,
  rename_list: [],
})
export const table = (name: string, { schema = '', catalog = '', alias = '' } = {}): N => ({
  type: 'BASE_TABLE',
  alias,
  sample: null,
  schema_name: schema,
  table_name: name,
  column_name_alias: [],
  catalog_name: catalog,
  at_clause: null,
})
export const join = (left: N, right: N, condition: N | null = null): N => ({
  type: 'JOIN',
  alias: '',
  sample: null,
  left,
  right,
  condition,
  join_type: 'INNER',
  ref_type: condition === null ? 'CROSS' : 'REGULAR',
  using_columns: [],
  delim_flipped: false,
  duplicate_eliminated_columns: [],
})
export const cte = (name: string, node: N): N => ({
  key: name,
  value: {
    aliases: [],
    query: { node, named_param_map: [] },
    materialized: 'CTE_MATERIALIZE_DEFAULT',
    key_targets: [],
  },
})
export const select = (parts: { list?: N[]; from?: N; where?: N | null; having?: N | null; ctes?: N[] } = {}): N => ({
  type: 'SELECT_NODE',
  modifiers: [],
  cte_map: { map: parts.ctes ?? [] },
  select_list: parts.list ?? [star()],
  from_table: parts.from ?? { type: 'EMPTY', alias: '', sample: null },
  where_clause: parts.where ?? null,
  group_expressions: [],
  group_sets: [],
  aggregate_handling: 'STANDARD_HANDLING',
  having: parts.having ?? null,
  sample: null,
  qualify: null,
})
export const union = (left: N, right: N): N => ({
  type: 'SET_OPERATION_NODE',
  modifiers: [],
  cte_map: { map: [] },
  setop_type: 'UNION',
  setop_all: true,
  left,
  right,
})
export const recursive = (name: string, left: N, right: N): N => ({
  type: 'RECURSIVE_CTE_NODE',
  modifiers: [],
  cte_map: { map: [] },
  cte_name: name,
  union_all: true,
  left,
  right,
  aliases: [],
  key_targets: [],
})
export const sub = (node: N, kind = 'SCALAR', child: N | null = null): N => ({
  class: 'SUBQUERY',
  type: 'SUBQUERY',
  alias: '',
  subquery_type: kind,
  subquery: { node, named_param_map: [] },
  child,
  comparison_type: kind === 'ANY' ? 'COMPARE_EQUAL' : 'INVALID',
})
export const derived = (node: N, alias: string): N => ({
  type: 'SUBQUERY',
  alias,
  sample: null,
  subquery: { node, named_param_map: [] },
  column_name_alias: [],
})
export const window = (fn: string, partitions: N[]): N => ({
  class: 'WINDOW',
  type: 'WINDOW_AGGREGATE',
  alias: '',
  function_name: fn,
  schema: '',
  catalog: '',
  children: [],
  partitions,
  orders: [],
  filter_expr: null,
})
export const statement = (node: N): N => ({ error: false, statements: [{ node, named_param_map: [] }] })

/** Enough SQL to read a rewritten tree by (not DuckDB's own writer, which the engine tests use). */
export function render(value: unknown): string {
  const n = value as N
  const named = (text: string) => (n.alias === '' || n.alias === undefined ? text : `${text} AS ${String(n.alias)}`)
  const list = (items: unknown) => (items as unknown[]).map(render).join(', ')
  if (Array.isArray((n as { statements?: unknown }).statements)) {
    return render(((n.statements as N[])[0] as N).node)
  }
  switch (n.class ?? n.type) {
    case 'SELECT_NODE': {
      const ctes = ((n.cte_map as N).map as N[]).map(
        (e) => `${String(e.key)} AS (${render(((e.value as N).query as N).node)})`,
      )
      const from = (n.from_table as N).type === 'EMPTY' ? '' : ` FROM ${render(n.from_table)}`
      const where = n.where_clause === null ? '' : ` WHERE ${render(n.where_clause)}`
      const having = n.having === null ? '' : ` HAVING ${render(n.having)}`
      return `${ctes.length > 0 ? `WITH ${ctes.join(', ')} ` : ''}SELECT ${list(n.select_list)}${from}${where}${having}`
    }
    case 'SET_OPERATION_NODE':
      return `${render(n.left)} UNION ALL ${render(n.right)}`
    case 'RECURSIVE_CTE_NODE':
      return `${render(n.left)} UNION ALL ${render(n.right)}`
    case 'BASE_TABLE':
      return named([n.catalog_name, n.schema_name, n.table_name].filter((p) => p !== '').join('.'))
    case 'JOIN':
      return `${render(n.left)} JOIN ${render(n.right)}${n.condition === null ? '' : ` ON ${render(n.condition)}`}`
    case 'COLUMN_REF':
      return named((n.column_names as string[]).join('.'))
    case 'CONSTANT':
      return String((n.value as N).is_null === true ? 'NULL' : (n.value as N).value)
    case 'PARAMETER':
      return `$${String(n.identifier)}`
    case 'COMPARISON':
      return `${render(n.left)} = ${render(n.right)}`
    case 'CONJUNCTION':
      return `(${(n.children as unknown[]).map(render).join(' OR ')})`
    case 'CASE': {
      const [check] = n.case_checks as N[]
      return named(`CASE WHEN ${render(check?.when_expr)} THEN ${render(check?.then_expr)} END`)
    }
    case 'STAR': {
      const excluded = (n.qualified_exclude_list as N[]).map((q) =>
        [q.catalog, q.schema, q.table, q.column].filter((p) => p !== '').join('.'),
      )
      return `${n.relation_name === '' ? '*' : `${String(n.relation_name)}.*`}${excluded.length > 0 ? ` EXCLUDE (${excluded.join(', ')})` : ''}`
    }
    case 'WINDOW':
      return named(`${String(n.function_name)}() OVER (PARTITION BY ${list(n.partitions)})`)
    default:
      if (n.class === 'SUBQUERY') {
        const inner = render((n.subquery as N).node)
        if (n.subquery_type === 'EXISTS') return named(`EXISTS (${inner})`)
        if (n.subquery_type === 'ANY') return named(`${render(n.child)} IN (${inner})`)
        return named(`(${inner})`)
      }
      if (n.type === 'SUBQUERY') return named(`(${render((n.subquery as N).node)})`)
      throw new Error(`render: ${String(n.class ?? n.type)}`)
  }
}
