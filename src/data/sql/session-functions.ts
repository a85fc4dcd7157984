import type { SessionValues } from './restrictions.js'
import { SqlRefusedError } from './sql-refused-error.js'
import { isForbiddenHeader } from '../../domain/request-headers.js'

/** SPEC §5's SQL functions without arguments, and the field of `SessionValues` each returns. */
const FIELDS = {
  get_username: 'username',
  get_user_email: 'userEmail',
  get_user_id: 'userId',
  get_org_id: 'orgId',
  get_tenant_id: 'tenantId',
  get_user_external_token: 'externalToken',
} as const satisfies Readonly<Record<string, keyof SessionValues>>

type FieldFunction = keyof typeof FIELDS

export type SessionFunctionName = FieldFunction | 'get_request_header'

/** What one call returns depends on this only: the function, and for `get_request_header` the header. */
export type SessionCall =
  { readonly fn: FieldFunction } | { readonly fn: 'get_request_header'; /** Lower-case. */ readonly header: string }

/**
 * A call as an engine's parser wrote it, reduced to what decides whether it
 * is accepted: each rewriter reads its own AST into this, so both engines
 * refuse exactly the same calls with the same words.
 */
export interface SessionCallSyntax {
  /** The function's name as written (any case). */
  readonly name: string
  /** The qualifier as written (`main`, `public`, `x` of `x.get_username()`), else empty. */
  readonly qualifier: string
  /** Each argument: its text when it is one plain string literal, else undefined. */
  readonly args: readonly (string | undefined)[]
  /** Whether it is written as an aggregate or window call (DISTINCT, FILTER, ORDER BY, OVER, `*`, VARIADIC…). */
  readonly aggregate: boolean
}

/** ASCII lower case: the engines' parsers fold ASCII only, and no other letter may turn into one of ours. */
function fold(name: string): string {
  return name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
}

/** Which of SPEC §5's SQL functions `name` (any case) is, if any: the RLS rewrite replaces their calls by bound values. */
export function sessionFunctionName(name: string): SessionFunctionName | undefined {
  const folded = fold(name)
  return folded === 'get_request_header' || Object.hasOwn(FIELDS, folded) ? (folded as SessionFunctionName) : undefined
}

/** An HTTP field name (RFC 9110 §5.1: a token), ASCII only, so no Unicode case mapping can reach a forbidden name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * The call `syntax` stands for, checked in this order: written unqualified,
 * available here (a session is given; the external token in custom tools
 * only), a plain call with the right arguments, and for a header, a name that
 * is an HTTP field name and not a forbidden one. Throws `SqlRefusedError`.
 */
export function sessionCall(syntax: SessionCallSyntax, session: SessionValues | undefined): SessionCall {
  const fn = sessionFunctionName(syntax.name)
  if (fn === undefined) throw new SqlRefusedError(`Function ${syntax.name} is not a session function`)
  if (syntax.qualifier !== '') throw qualifiedSessionFunction(fn, syntax.qualifier)
  if (session === undefined || (fn === 'get_user_external_token' && session.externalToken === undefined)) {
    throw sessionFunctionUnavailable(fn)
  }
  if (syntax.aggregate) throw new SqlRefusedError(`${fn}() is not an aggregate or window function: call it plainly`)
  const expected = fn === 'get_request_header' ? 1 : 0
  if (syntax.args.length !== expected) {
    const usage = fn === 'get_request_header' ? "get_request_header('<header name>')" : `${fn}()`
    throw new SqlRefusedError(`${fn}() takes ${expected === 0 ? 'no arguments' : 'one argument'}: ${usage}`)
  }
  if (fn !== 'get_request_header') return { fn }
  const [header] = syntax.args
  if (header === undefined) {
    // The header is chosen when the query is written, never from data: a plan binds one header per call.
    throw new SqlRefusedError(
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    )
  }
  if (!HEADER_NAME.test(header)) throw new SqlRefusedError(`'${header}' is not an HTTP header name`)
  if (isForbiddenHeader(header)) throw new SqlRefusedError(`The header ${header} is never available to SQL`)
  return { fn, header: fold(header) }
}

/** The value `call` binds for `session`: the header's value by lower-case name, NULL where there is none. */
export function sessionValue(call: SessionCall, session: SessionValues | undefined): string | null {
  if (session === undefined) throw sessionFunctionUnavailable(call.fn)
  if (call.fn === 'get_request_header') return session.headers.get(call.header) ?? null
  const value = session[FIELDS[call.fn]]
  if (value === undefined) throw sessionFunctionUnavailable(call.fn)
  return value
}

/** One key per distinct call: every occurrence of the same call in a query shares one parameter. */
export function sessionCallKey(call: SessionCall): string {
  return call.fn === 'get_request_header' ? `${call.fn}:${call.header}` : call.fn
}

/** Outside a rewrite with a session (and the external token outside custom tools), the functions do not exist. */
export function sessionFunctionUnavailable(fn: SessionFunctionName): SqlRefusedError {
  return new SqlRefusedError(`${fn}() is not available here`)
}

/** `x.get_username()`: a method call on a column x to DuckDB, a schema's function to PostgreSQL; never ours. */
export function qualifiedSessionFunction(fn: SessionFunctionName, qualifier: string): SqlRefusedError {
  return new SqlRefusedError(`${fn}() cannot be qualified (${qualifier}.${fn}): call it as ${fn}()`)
}
