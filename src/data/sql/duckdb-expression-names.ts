type Node = Readonly<Record<string, unknown>>

/**
 * The unnamed select-list expressions, at any depth, whose name the rewrite
 * could change: DuckDB names such a column after the expression's text, and
 * a subquery or a `schema.table.column` reference in it is written
 * differently once rewritten. A bare column keeps its name (the column's);
 * an expression with a star expands into several columns and is left alone.
 */
export function duckDbExpressionsToName(ast: unknown): unknown[] {
  const found: unknown[] = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit)
    if (!isNode(value)) return
    if (value.type === 'SELECT_NODE' && Array.isArray(value.select_list)) {
      for (const expression of value.select_list) {
        if (!isNode(expression) || expression.alias !== '' || expression.class === 'COLUMN_REF') continue
        if (contains(expression, isStar, outsideSubqueries)) continue
        if (contains(expression, isRenamed)) found.push(expression)
      }
    }
    Object.values(value).forEach(visit)
  }
  visit(ast)
  return found
}

/** `SELECT <expression>`: DuckDB writes it as the name it gives that expression's column, after `SELECT `. */
export function duckDbExpressionStatement(expression: unknown): unknown {
  const node = {
    type: 'SELECT_NODE',
    modifiers: [],
    cte_map: { map: [] },
    select_list: [expression],
    from_table: { type: 'EMPTY', alias: '', sample: null },
    where_clause: null,
    group_expressions: [],
    group_sets: [],
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    sample: null,
    qualify: null,
  }
  return { error: false, statements: [{ node, named_param_map: [] }] }
}

function contains(value: unknown, test: (node: Node) => boolean, descend = (_: Node) => true): boolean {
  if (Array.isArray(value)) return value.some((item) => contains(item, test, descend))
  if (!isNode(value)) return false
  return test(value) || (descend(value) && Object.values(value).some((child) => contains(child, test, descend)))
}

const isStar = (node: Node) => node.class === 'STAR'
const outsideSubqueries = (node: Node) => node.class !== 'SUBQUERY'
/** What the rewrite writes differently: a subquery (its tables become subqueries), a `schema.table.column`. */
const isRenamed = (node: Node) =>
  node.class === 'SUBQUERY' || (node.class === 'COLUMN_REF' && (node.column_names as unknown[]).length >= 3)

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
