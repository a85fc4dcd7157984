/**
 * The one error base of Gatehouse. Every error a layer raises on purpose is a
 * `GatehouseError` with a stable `code`; the edges (`http/error-response.ts`,
 * `mcp/tool-error.ts`, the CLI) map codes to statuses and messages in one table each.
 *
 * `message` is public: it may reach a client. `detail` and `cause` go to logs
 * and audit only, never to a response.
 */

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'NOT_FOUND',
  'CONFLICT',
  'AUTH_MISSING',
  'AUTH_INVALID',
  'AUTH_EXPIRED',
  'AUTH_NO_ORGANIZATION',
  'AUTH_ACCOUNT_NOT_FOUND',
  'AUTH_ACCOUNT_INACTIVE',
  'AUTH_APP_DISCONNECTED',
  'CLIENT_INVALID',
  'INSUFFICIENT_SCOPE',
  'ORIGIN_NOT_ALLOWED',
  'BODY_TOO_LARGE',
  'AUTHZ_DENIED',
  'SQL_REFUSED',
  'QUERY_FAILED',
  'ENGINE_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'AUDIT_CHAIN_BROKEN',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface GatehouseErrorOptions {
  /** Goes to logs and audit only. */
  readonly detail?: string
  readonly cause?: unknown
}

export class GatehouseError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name: string = 'GatehouseError'
  readonly code: C
  readonly detail: string | undefined

  constructor(code: C, message: string, options: GatehouseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.detail = options.detail
  }
}

/** A configuration file that cannot be used: names the file, the key path and what was expected. */
export class ConfigError extends GatehouseError<'CONFIG_INVALID'> {
  override readonly name = 'ConfigError'
  readonly file: string
  readonly path: string

  constructor(file: string, path: string, expected: string, options: GatehouseErrorOptions = {}) {
    super('CONFIG_INVALID', `${file}: ${path === '' ? '(root)' : path}: ${expected}`, options)
    this.file = file
    this.path = path
  }
}

/** Bad input from a user or client: says what was wrong, where, and what is expected. */
export class InputError extends GatehouseError<'INPUT_INVALID'> {
  override readonly name = 'InputError'
  readonly field: string | undefined

  constructor(message: string, field?: string, options: GatehouseErrorOptions = {}) {
    super('INPUT_INVALID', message, options)
    this.field = field
  }
}

export class NotFoundError extends GatehouseError<'NOT_FOUND'> {
  override readonly name = 'NotFoundError'
  constructor(what: string, options: GatehouseErrorOptions = {}) {
    super('NOT_FOUND', `${what} not found`, options)
  }
}

export class ConflictError extends GatehouseError<'CONFLICT'> {
  override readonly name = 'ConflictError'
  constructor(message: string, options: GatehouseErrorOptions = {}) {
    super('CONFLICT', message, options)
  }
}

export type AuthErrorCode =
  | 'AUTH_MISSING'
  | 'AUTH_INVALID'
  | 'AUTH_EXPIRED'
  | 'AUTH_NO_ORGANIZATION'
  | 'AUTH_ACCOUNT_NOT_FOUND'
  | 'AUTH_ACCOUNT_INACTIVE'
  | 'AUTH_APP_DISCONNECTED'

/** The public descriptions of SPEC §4.4; nothing else is ever said about a refused credential. */
export const AUTH_ERROR_DESCRIPTIONS: Readonly<Record<AuthErrorCode, string>> = {
  AUTH_MISSING: 'Missing bearer token',
  AUTH_INVALID: 'Invalid token',
  AUTH_EXPIRED: 'Token is revoked or expired',
  AUTH_NO_ORGANIZATION: 'User has no organization',
  AUTH_ACCOUNT_NOT_FOUND: 'Account not found',
  AUTH_ACCOUNT_INACTIVE: 'Account is inactive',
  AUTH_APP_DISCONNECTED: 'Application has been disconnected',
}

/** A credential that was refused (401). `detail` says why, for the audit log only. */
export class AuthenticationError<C extends AuthErrorCode = AuthErrorCode> extends GatehouseError<C> {
  override readonly name = 'AuthenticationError'
  constructor(code: C, options: GatehouseErrorOptions = {}) {
    super(code, AUTH_ERROR_DESCRIPTIONS[code], options)
  }
}

/** The credential is valid but lacks a permission; `scope` names the OAuth scope that would grant it. */
export class InsufficientScopeError extends GatehouseError<'INSUFFICIENT_SCOPE'> {
  override readonly name = 'InsufficientScopeError'
  readonly scope: string
  constructor(scope: string, options: GatehouseErrorOptions = {}) {
    super('INSUFFICIENT_SCOPE', `This call needs the ${scope} scope`, options)
    this.scope = scope
  }
}

export interface AuthorizationErrorOptions extends GatehouseErrorOptions {
  /** The policy that denied (e.g. `top_customers.input[0]`): for the call's audit record. */
  readonly policy?: string
}

export class AuthorizationError extends GatehouseError<'AUTHZ_DENIED'> {
  override readonly name = 'AuthorizationError'
  readonly policy: string | undefined
  constructor(message: string, options: AuthorizationErrorOptions = {}) {
    super('AUTHZ_DENIED', message, options)
    this.policy = options.policy
  }
}

export type AnyGatehouseError =
  | ConfigError
  | InputError
  | NotFoundError
  | ConflictError
  | AuthenticationError
  | InsufficientScopeError
  | AuthorizationError
  | GatehouseError<'SQL_REFUSED'>
  | GatehouseError<'QUERY_FAILED'>
  | GatehouseError<'ENGINE_UNAVAILABLE'>
  | GatehouseError<'CLIENT_INVALID'>
  | GatehouseError<'ORIGIN_NOT_ALLOWED' | 'BODY_TOO_LARGE' | 'STORE_UNAVAILABLE' | 'AUDIT_CHAIN_BROKEN' | 'INTERNAL'>

export function isGatehouseError(value: unknown): value is AnyGatehouseError {
  return value instanceof GatehouseError
}
