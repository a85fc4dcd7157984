import { sessionFunctionName } from './session-functions.js'
import type { SessionCallSyntax } from './session-functions.js'

type Node = Readonly<Record<string, unknown>>

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A call of one of SPEC §5's SQL functions in DuckDB's AST: a plain, aggregate or window call of that name. */
export function isDuckDbSessionCall(node: Node): boolean {
  return (
    (node.class === 'FUNCTION' || node.class === 'WINDOW') &&
    sessionFunctionName(String(node.function_name ?? '')) !== undefined
  )
}

/** What decides whether the call is accepted (`sessionCall`). */
export function duckDbSessionCallSyntax(call: Node): SessionCallSyntax {
  const qualifier = [call.catalog, call.schema].map((p) => String(p ?? '')).filter((p) => p !== '')
  const children = Array.isArray(call.children) ? (call.children as unknown[]) : []
  const orders = isNode(call.order_bys) && Array.isArray(call.order_bys.orders) ? call.order_bys.orders : []
  return {
    name: String(call.function_name),
    qualifier: qualifier.join('.'),
    args: children.map(stringLiteral),
    aggregate:
      call.class === 'WINDOW' ||
      call.distinct === true ||
      (call.filter !== null && call.filter !== undefined) ||
      orders.length > 0 ||
      call.export_state === true,
  }
}

/** `'text'`, `E'text'` and `$$text$$` alike; a named argument (`name := 'x'`) is not a plain literal. */
function stringLiteral(node: unknown): string | undefined {
  if (!isNode(node) || node.class !== 'CONSTANT' || node.alias !== '' || !isNode(node.value)) return undefined
  const { type, is_null: isNull, value } = node.value
  return isNode(type) && type.id === 'VARCHAR' && isNull === false && typeof value === 'string' ? value : undefined
}

/**
 * `CAST($n AS VARCHAR)`: a VARCHAR whatever DuckDB would infer for a bare
 * parameter, under the call's own alias, exactly as DuckDB parses `$n::VARCHAR`.
 */
export function duckDbSessionParameter(identifier: number, alias: string): Node {
  return {
    class: 'CAST',
    type: 'OPERATOR_CAST',
    alias,
    child: { class: 'PARAMETER', type: 'VALUE_PARAMETER', alias: '', identifier: String(identifier) },
    cast_type: { id: 'VARCHAR', type_info: null },
    try_cast: false,
  }
}

/**
 * The unnamed select-list expressions, at any depth, that call one of these
 * functions: DuckDB names such a column after the expression's text, which
 * the parameter would change (`CAST($1 AS VARCHAR)` for `get_username()`),
 * so the rewrite keeps the name as an alias. Expressions with a star expand
 * into several columns and are left alone, as `duckDbExpressionsToName` does.
 */
export function duckDbSessionExpressions(ast: unknown): unknown[] {
  const found: unknown[] = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit)
    if (!isNode(value)) return
    if (value.type === 'SELECT_NODE' && Array.isArray(value.select_list)) {
      for (const expression of value.select_list) {
        if (!isNode(expression) || expression.alias !== '') continue
        if (
          contains(
            expression,
            (n) => n.class === 'STAR',
            (n) => n.class !== 'SUBQUERY',
          )
        )
          continue
        if (contains(expression, isDuckDbSessionCall)) found.push(expression)
      }
    }
    Object.values(value).forEach(visit)
  }
  visit(ast)
  return found
}

function contains(value: unknown, test: (node: Node) => boolean, descend = (_: Node) => true): boolean {
  if (Array.isArray(value)) return value.some((item) => contains(item, test, descend))
  if (!isNode(value)) return false
  return test(value) || (descend(value) && Object.values(value).some((child) => contains(child, test, descend)))
}
