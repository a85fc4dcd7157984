import type { Store } from '../store/store.js'
import type { AuditQuery, AuditRow } from '../store/repositories/audit-repository.js'
import type { AuditDecision } from './audit-event.js'
import type { ChainedFields } from './audit-chain.js'

/** What `gatehouse log` and the admin API filter on (SPEC §3.3). */
export interface AuditLogFilter {
  readonly orgId?: string
  /** Epoch ms: records at or after it. */
  readonly since?: number
  readonly type?: string
  readonly tool?: string
  /** A user id or email, matched against the acting principal or the user a key event names. */
  readonly user?: string
  readonly decision?: AuditDecision
  /** At most this many entries, newest first (default 100). */
  readonly limit?: number
}

export interface AuditLogEntry extends ChainedFields {
  readonly id: number
}

export const DEFAULT_LOG_LIMIT = 100

/**
 * Reads the audit log newest first. The store filters on its columns; tool, user
 * and decision live inside the JSON `data`, which SQLite and PostgreSQL query
 * differently, so they are matched here.
 */
export async function readAuditLog(store: Pick<Store, 'audit'>, filter: AuditLogFilter = {}): Promise<AuditLogEntry[]> {
  const { orgId, since, type, limit = DEFAULT_LOG_LIMIT } = filter
  const query: AuditQuery = {
    ...(orgId === undefined ? {} : { orgId }),
    ...(since === undefined ? {} : { since }),
    ...(type === undefined ? {} : { type }),
  }
  const out: AuditLogEntry[] = []
  // Page through the log: the JSON filters run here, and the limit applies after them.
  for (let beforeId: number | undefined; out.length < limit;) {
    const page = await store.audit.query({ ...query, ...(beforeId === undefined ? {} : { beforeId }), limit: PAGE })
    for (const row of page) {
      const entry = entryOf(row)
      if (matches(entry, filter)) out.push(entry)
      if (out.length >= limit) break
    }
    if (page.length < PAGE) break
    beforeId = page[page.length - 1]?.id
  }
  return out
}

const PAGE = 500

function entryOf(row: AuditRow): AuditLogEntry {
  const { id, chain_id, chain_seq, at, type, org_id } = row
  let data: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(row.data)
    data = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { value: parsed }
  } catch {
    // An edited record still shows up; `audit verify` says what is wrong with it.
    data = { unreadable: row.data }
  }
  return { id, chain_id, chain_seq, at, type, org_id, data }
}

/** A refused authentication is a denial, though it names no tool decision. */
export function decisionOf(entry: AuditLogEntry): unknown {
  return entry.type === 'auth.failed' ? 'deny' : entry.data.decision
}

function matches(entry: AuditLogEntry, filter: AuditLogFilter): boolean {
  const { data } = entry
  if (filter.tool !== undefined && data.tool !== filter.tool) return false
  if (filter.decision !== undefined && decisionOf(entry) !== filter.decision) return false
  if (filter.user !== undefined) {
    const principal = (typeof data.principal === 'object' && data.principal !== null ? data.principal : {}) as Record<
      string,
      unknown
    >
    const users = [principal.user_id, principal.email, data.user_id]
    if (!users.includes(filter.user) && !users.includes(filter.user.toLowerCase())) return false
  }
  return true
}
