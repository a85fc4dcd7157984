import type { ErrorCode } from '../domain/errors.js'
import { isGatehouseError } from '../domain/errors.js'

export interface HttpErrorResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: { readonly error: string; readonly error_description: string }
}

interface Row {
  readonly status: number
  /** The OAuth error code (RFC 6750 §3.1) for the body and the challenge. */
  readonly error: string
  /** Whether the challenge names the error; a request with no credential at all gets a bare challenge. */
  readonly challengeError: boolean
  /** Whether the public message of the error is shown; otherwise a generic one. */
  readonly expose: boolean
}

/**
 * The one table from error code to HTTP answer (SPEC §4.4). Every 401 and 403
 * carries a `WWW-Authenticate` challenge pointing at the protected-resource
 * metadata, so a client can recover by itself.
 */
export const HTTP_ERRORS: Readonly<Record<ErrorCode, Row>> = {
  CONFIG_INVALID: { status: 500, error: 'server_error', challengeError: false, expose: false },
  INPUT_INVALID: { status: 400, error: 'invalid_request', challengeError: false, expose: true },
  NOT_FOUND: { status: 404, error: 'not_found', challengeError: false, expose: true },
  CONFLICT: { status: 409, error: 'conflict', challengeError: false, expose: true },
  AUTH_MISSING: { status: 401, error: 'unauthorized', challengeError: false, expose: true },
  AUTH_INVALID: { status: 401, error: 'invalid_token', challengeError: true, expose: true },
  AUTH_EXPIRED: { status: 401, error: 'invalid_token', challengeError: true, expose: true },
  AUTH_NO_ORGANIZATION: { status: 401, error: 'invalid_token', challengeError: true, expose: true },
  AUTH_ACCOUNT_NOT_FOUND: { status: 401, error: 'invalid_token', challengeError: true, expose: true },
  AUTH_ACCOUNT_INACTIVE: { status: 401, error: 'invalid_token', challengeError: true, expose: true },
  AUTH_APP_DISCONNECTED: { status: 401, error: 'invalid_token', challengeError: true, expose: true },
  // A token request with a wrong project or secret (RFC 6749 §5.2); its description never says which.
  CLIENT_INVALID: { status: 401, error: 'invalid_client', challengeError: false, expose: true },
  INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope', challengeError: true, expose: true },
  ORIGIN_NOT_ALLOWED: { status: 403, error: 'invalid_request', challengeError: true, expose: true },
  BODY_TOO_LARGE: { status: 413, error: 'invalid_request', challengeError: false, expose: true },
  AUTHZ_DENIED: { status: 403, error: 'access_denied', challengeError: false, expose: true },
  SQL_REFUSED: { status: 400, error: 'invalid_request', challengeError: false, expose: true },
  QUERY_FAILED: { status: 400, error: 'invalid_request', challengeError: false, expose: true },
  ENGINE_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', challengeError: false, expose: true },
  STORE_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', challengeError: false, expose: false },
  AUDIT_CHAIN_BROKEN: { status: 500, error: 'server_error', challengeError: false, expose: false },
  INTERNAL: { status: 500, error: 'server_error', challengeError: false, expose: false },
}

const GENERIC = 'The server failed to handle the request'

export interface ChallengeOptions {
  /** `<public_url>/.well-known/oauth-protected-resource/mcp`. */
  readonly resourceMetadata: string
  /** The OAuth scope(s) that would make the request succeed. */
  readonly scope: string
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`
}

export function httpErrorResponse(error: unknown, challenge: ChallengeOptions): HttpErrorResponse {
  const code: ErrorCode = isGatehouseError(error) ? error.code : 'INTERNAL'
  const row = HTTP_ERRORS[code]
  const description = row.expose && isGatehouseError(error) ? error.message : GENERIC
  const body = { error: row.error, error_description: description }
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' }
  if (row.status === 401 || row.status === 403) {
    const scope = code === 'INSUFFICIENT_SCOPE' ? (error as { scope: string }).scope : challenge.scope
    const parts = ['realm="gatehouse"']
    if (row.challengeError)
      parts.push(`error=${quote(row.error)}`, `error_description=${quote(body.error_description)}`)
    parts.push(`resource_metadata=${quote(challenge.resourceMetadata)}`, `scope=${quote(scope)}`)
    headers['www-authenticate'] = `Bearer ${parts.join(', ')}`
  }
  return { status: row.status, headers, body }
}
