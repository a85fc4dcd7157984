import { isGatehouseError } from '../domain/errors.js'
import type { ErrorCode } from '../domain/errors.js'
import { z } from 'zod'
import type { ToolDefinition } from './tool-definition.js'

export interface ToolErrorResult {
  readonly content: [{ readonly type: 'text'; readonly text: string }]
  readonly isError: true
}

/**
 * How each error code reaches an MCP client as a tool result. Codes that are
 * decided before a tool runs (authentication, scope) never get here; an
 * unmapped or unexpected error becomes a generic message, its detail kept for logs.
 */
export const TOOL_ERROR_EXPOSED: Readonly<Record<ErrorCode, boolean>> = {
  CONFIG_INVALID: false,
  INPUT_INVALID: true,
  NOT_FOUND: true,
  CONFLICT: true,
  AUTH_MISSING: false,
  AUTH_INVALID: false,
  AUTH_EXPIRED: false,
  AUTH_NO_ORGANIZATION: false,
  AUTH_ACCOUNT_NOT_FOUND: false,
  AUTH_ACCOUNT_INACTIVE: false,
  AUTH_APP_DISCONNECTED: false,
  CLIENT_INVALID: false,
  INSUFFICIENT_SCOPE: true,
  ORIGIN_NOT_ALLOWED: false,
  BODY_TOO_LARGE: false,
  AUTHZ_DENIED: true,
  SQL_REFUSED: true,
  // Engine errors are rewritten to a generic form where they are caught: a value in one could come from a hidden row.
  QUERY_FAILED: true,
  ENGINE_UNAVAILABLE: true,
  STORE_UNAVAILABLE: false,
  AUDIT_CHAIN_BROKEN: false,
  INTERNAL: false,
}

export const GENERIC_TOOL_ERROR =
  'The tool failed because of an internal error; the administrator can find details in the server log'

export function toolErrorResult(error: unknown): ToolErrorResult {
  const text = isGatehouseError(error) && TOOL_ERROR_EXPOSED[error.code] ? error.message : GENERIC_TOOL_ERROR
  return { content: [{ type: 'text', text }], isError: true }
}

export function toolErrorCode(error: unknown): ErrorCode {
  return isGatehouseError(error) ? error.code : 'INTERNAL'
}

/** Arguments that fail a tool's schema, in the words the SDK uses for its own tools. */
export function customToolError(tool: ToolDefinition, rawArgs: Record<string, unknown>): ToolErrorResult {
  const parsed = tool.input.safeParse(rawArgs)
  const problems = parsed.success ? '' : z.prettifyError(parsed.error)
  return {
    content: [{ type: 'text', text: `Input validation error: Invalid arguments for tool ${tool.name}: ${problems}` }],
    isError: true,
  }
}
