import type { Node } from 'libpg-query'
import { sessionFunctionName } from '../session-functions.js'
import type { SessionCallSyntax, SessionFunctionName } from '../session-functions.js'

type Body = Record<string, unknown>

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((n) => String(((n as Body).String as Body | undefined)?.sval ?? '')) : []
}

/** Which of SPEC §5's SQL functions a `FuncCall` body calls, if any (its last name, in any case or qualified). */
export function postgresSessionFunction(call: Body): SessionFunctionName | undefined {
  return sessionFunctionName(names(call.funcname).at(-1) ?? '')
}

/** What decides whether the call is accepted (`sessionCall`). */
export function postgresSessionCallSyntax(call: Body): SessionCallSyntax {
  const parts = names(call.funcname)
  const args = Array.isArray(call.args) ? (call.args as unknown[]) : []
  return {
    name: parts.at(-1) ?? '',
    qualifier: parts.slice(0, -1).join('.'),
    args: args.map(stringLiteral),
    aggregate: [
      'agg_order',
      'agg_filter',
      'over',
      'agg_within_group',
      'agg_star',
      'agg_distinct',
      'func_variadic',
    ].some((key) => call[key] !== undefined && call[key] !== false),
  }
}

/** `'text'`, `E'text'`, `$$text$$` and `U&'text'` alike; a named argument (`name => 'x'`) is not a plain literal. */
function stringLiteral(node: unknown): string | undefined {
  const constant = isBody(node) ? node.A_Const : undefined
  const sval = isBody(constant) && isBody(constant.sval) ? constant.sval.sval : undefined
  return typeof sval === 'string' ? sval : undefined
}

/**
 * `$n::pg_catalog.text`: text whatever PostgreSQL would infer for a bare
 * parameter, under a name no type on the search path can take.
 */
export function postgresSessionParameter(n: number): Node {
  return {
    TypeCast: {
      arg: { ParamRef: { number: n } },
      typeName: { names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: 'text' } }], typemod: -1 },
    },
  }
}

/**
 * The name PostgreSQL gives a select-list expression that is a session call
 * (FigureColname: the function's name, through casts and COLLATE), which
 * would become `text` once the call is a cast parameter; undefined for any
 * other expression, whose name the rewrite does not change.
 */
export function postgresSessionColumnName(expression: unknown): string | undefined {
  let node = expression
  for (;;) {
    if (!isBody(node)) return undefined
    const wrapper = node.TypeCast ?? node.CollateClause
    if (!isBody(wrapper)) break
    node = wrapper.arg
  }
  const call = node.FuncCall
  if (!isBody(call) || postgresSessionFunction(call) === undefined) return undefined
  return names(call.funcname).at(-1)
}
