import type { AuthErrorCode } from '../domain/errors.js'
import type { Principal, PrincipalKind } from '../domain/principal.js'

/**
 * The audit records of SPEC §8. The `type` names what happened; `data` is the
 * rest of the record, stored as JSON. Known types have typed fields, and every
 * `data` stays open (extra fields are kept) so a caller can add context without
 * a schema change.
 */
export const AUDIT_EVENT_TYPES = [
  'auth.failed',
  'auth.login',
  'auth.consent',
  'token.issued',
  'token.refreshed',
  'token.revoked',
  'token.reuse_detected',
  'key.created',
  'key.first_used',
  'key.revoked',
  'secret.created',
  'secret.revoked',
  'client.registered',
  'app.disconnected',
  'project.applied',
  'mcp.call',
  'audit.checkpoint',
] as const

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

export const AUDIT_DECISIONS = ['allow', 'deny', 'error'] as const
export type AuditDecision = (typeof AUDIT_DECISIONS)[number]

/** Who acted, in the stored (snake_case) form. Never a secret: `key_prefix` is the visible `gk_<id>`. */
export interface AuditPrincipal {
  readonly kind: PrincipalKind
  readonly user_id?: string
  readonly email?: string
  readonly key_prefix?: string
  readonly client_id?: string
  readonly tenant_id?: string
  /** The credential's id (key id or token `jti`): what a revocation refers to. */
  readonly token_id?: string
}

/** Where a request came from: the proxy-aware source address and the user agent. */
export interface AuditSource {
  readonly ip?: string
  readonly user_agent?: string
}

type Open = { readonly [field: string]: unknown }

export interface AuthFailedData extends AuditSource, Open {
  /** The refusal code, e.g. `AUTH_INVALID`; the public description is derived from it, the detail is not. */
  readonly reason: AuthErrorCode | (string & {})
  readonly detail?: string
  readonly key_prefix?: string
}

export interface McpCallData extends AuditSource, Open {
  readonly tool: string
  /** Always passed through `redactArguments` first. */
  readonly arguments: Readonly<Record<string, unknown>>
  readonly decision: AuditDecision
  readonly reason?: string
  /** The policy that denied the call. */
  readonly policy?: string
  /** The policies that applied to an allowed call (e.g. output policies that shaped its rows). */
  readonly policies?: readonly string[]
  readonly rows?: number
  readonly duration_ms: number
  readonly principal: AuditPrincipal
}

export interface KeyCreatedData extends Open {
  readonly key_id: string
  readonly key_prefix: string
  readonly user_id: string
  readonly name: string
  readonly created_by: string
  readonly expires_at: number | null
}

export interface KeyRevokedData extends Open {
  readonly key_id: string
  readonly key_prefix: string
  readonly revoked_by?: string
}

export interface KeyFirstUsedData extends AuditSource, Open {
  readonly key_id: string
  readonly key_prefix: string
}

/** Written by a retention purge: vouches that a chain now starts at `anchor_seq`, so a purge is told apart from a deletion. */
export interface AuditCheckpointData extends Open {
  readonly chain_id: string
  readonly anchor_seq: number
  readonly anchor_prev_hash: string
  /** The retention cutoff (epoch ms): records before it were purged. */
  readonly purged_before: number
  readonly purged_count: number
  /** Set when a later purge repeats this anchor because the checkpoint that first stated it was purged. */
  readonly restated_from?: { readonly chain_id: string; readonly chain_seq: number }
}

interface AuditDataByType {
  'auth.failed': AuthFailedData
  'mcp.call': McpCallData
  'key.created': KeyCreatedData
  'key.revoked': KeyRevokedData
  'key.first_used': KeyFirstUsedData
  'audit.checkpoint': AuditCheckpointData
}

export type AuditData<T extends AuditEventType> = T extends keyof AuditDataByType ? AuditDataByType[T] : Open

/** One event as a caller records it; the writer adds the chain fields. */
export type AuditEvent = {
  [T in AuditEventType]: {
    readonly type: T
    readonly orgId?: string
    /** Epoch ms of what happened; defaults to when it was recorded. */
    readonly at?: number
    readonly data: AuditData<T>
  }
}[AuditEventType]

/** The audit view of a principal: identifiers only, never scopes or attributes. */
export function auditPrincipal(p: Principal): AuditPrincipal {
  return {
    kind: p.kind,
    ...(p.userId === undefined ? {} : { user_id: p.userId }),
    ...(p.email === undefined ? {} : { email: p.email }),
    ...(p.keyPrefix === undefined ? {} : { key_prefix: p.keyPrefix }),
    ...(p.clientId === undefined ? {} : { client_id: p.clientId }),
    ...(p.tenantId === undefined ? {} : { tenant_id: p.tenantId }),
    token_id: p.tokenId,
  }
}
