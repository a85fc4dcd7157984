import type { Principal } from '../domain/principal.js'
import type { AuditSink } from '../domain/audit-sink.js'
import type { ToolDefinition, ToolDeps } from './tool-definition.js'
import { toolErrorCode, toolErrorResult } from './tool-error.js'
import { redactArguments, redactString } from '../audit/redact-arguments.js'
import { auditPrincipal } from '../audit/audit-event.js'
import type { ToolErrorResult } from './tool-error.js'
import { AuthorizationError } from '../domain/errors.js'
import type { ErrorCode } from '../domain/errors.js'

export interface ToolSuccessResult {
  readonly content: [{ readonly type: 'text'; readonly text: string }]
  readonly structuredContent: Record<string, unknown>
}

export type ToolCallResult = ToolSuccessResult | ToolErrorResult

/** Request facts that go into the call's audit record. */
export interface CallMeta {
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
  /** The request headers SQL may read (`get_request_header`), already narrowed to the configured allowlist. */
  readonly headers?: ReadonlyMap<string, string>
}

export interface ToolCallObserver {
  onToolCall(tool: string, outcome: 'allow' | 'error', durationMs: number): void
}

/**
 * Runs one tool call with validated arguments: the only place a tool's `run`
 * is invoked, shared by the SDK path and the fast path, so both produce the
 * same result and the same audit record.
 */
export class ToolRunner {
  readonly #deps: ToolDeps
  readonly #audit: AuditSink
  readonly #observer: ToolCallObserver | undefined

  constructor(deps: ToolDeps, audit: AuditSink, observer?: ToolCallObserver) {
    this.#deps = deps
    this.#audit = audit
    this.#observer = observer
  }

  async run(
    tool: ToolDefinition,
    args: Record<string, unknown>,
    principal: Principal,
    signal: AbortSignal,
    meta: CallMeta,
    rawArgs: Readonly<Record<string, unknown>>,
  ): Promise<ToolCallResult> {
    const started = performance.now()
    let result: ToolCallResult
    let error: unknown
    let policies: readonly string[] | undefined
    let rules: readonly string[] | undefined
    let rows: number | undefined
    try {
      const output = await tool.run(args, {
        principal,
        signal,
        deps: this.#deps,
        ...(meta.headers !== undefined && { requestHeaders: meta.headers }),
      })
      result = { content: [{ type: 'text', text: output.text }], structuredContent: output.structuredContent }
      policies = output.policies
      rules = output.rules
      // Data results say how many rows they returned (SPEC §8: rows returned is part of the record).
      const rowCount = (output.structuredContent as { row_count?: unknown } | undefined)?.row_count
      if (typeof rowCount === 'number') rows = rowCount
    } catch (caught) {
      error = caught
      result = toolErrorResult(caught)
    }
    const durationMs = performance.now() - started
    const decision = error === undefined ? 'allow' : toolErrorCode(error) === 'AUTHZ_DENIED' ? 'deny' : 'error'
    this.#observer?.onToolCall(tool.name, decision === 'allow' ? 'allow' : 'error', durationMs)
    this.#audit.record({
      type: 'mcp.call',
      orgId: principal.orgId,
      data: {
        tool: tool.name,
        arguments: redactArguments(rawArgs),
        decision,
        ...(error !== undefined && { reason: toolErrorCode(error), error_detail: errorDetail(error) }),
        // A policy's denial is recorded with the policy and the reason it gave (SPEC §8).
        ...(error instanceof AuthorizationError &&
          error.policy !== undefined && {
            policy: error.policy,
            reason: error.message,
          }),
        ...(policies !== undefined && policies.length > 0 && { policies }),
        // The row rules that filtered what the call read (SPEC §8, issue: each applied rule's name).
        ...(rules !== undefined && rules.length > 0 && { rules }),
        ...(rows !== undefined && { rows }),
        duration_ms: Math.round(durationMs * 1000) / 1000,
        principal: auditedPrincipal(principal),
        ...(meta.ip !== undefined && { ip: meta.ip }),
        ...(meta.userAgent !== undefined && { user_agent: meta.userAgent }),
      },
    })
    return result
  }

  /** A call refused before any tool ran (unknown tool, invalid arguments): audited like any other. */
  recordRefused(
    tool: string,
    reason: ErrorCode,
    principal: Principal,
    meta: CallMeta,
    rawArgs: Readonly<Record<string, unknown>>,
  ): void {
    // A name the client made up never becomes a metric label: labels must stay a small, fixed set.
    this.#observer?.onToolCall(reason === 'NOT_FOUND' ? '(unknown)' : tool, 'error', 0)
    this.#audit.record({
      type: 'mcp.call',
      orgId: principal.orgId,
      data: {
        tool: redactString(tool),
        arguments: redactArguments(rawArgs),
        decision: 'error',
        reason,
        duration_ms: 0,
        principal: auditedPrincipal(principal),
        ...(meta.ip !== undefined && { ip: meta.ip }),
        ...(meta.userAgent !== undefined && { user_agent: meta.userAgent }),
      },
    })
  }
}

const auditedPrincipals = new WeakMap<Principal, ReturnType<typeof auditPrincipal>>()

/** Principals are cached with their credential, so their audit summary is built once, not per call. */
function auditedPrincipal(principal: Principal): ReturnType<typeof auditPrincipal> {
  let summary = auditedPrincipals.get(principal)
  if (summary === undefined) {
    summary = auditPrincipal(principal)
    auditedPrincipals.set(principal, summary)
  }
  return summary
}

function errorDetail(error: unknown): string | undefined {
  if (error instanceof Error) return (error as { detail?: string }).detail ?? error.message
  return undefined
}
