import type { Store } from '../../store/store.js'
import type { Principal } from '../../domain/principal.js'
import type { DomainAccess } from '../../domain/principal.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { AuthenticationError } from '../../domain/errors.js'
import type { OAuthScope, PermissionObject } from '../../domain/permissions.js'
import { SCOPE_FOR_PERMISSION, permissionsFromObject } from '../../domain/permissions.js'
import { parseApiKey, secretMatches } from './api-key-format.js'
import type { LastUsedTracker } from './last-used-tracker.js'

export interface VerifiedCredential {
  readonly principal: Principal
  /** Epoch ms until which the verification may be cached. */
  readonly cacheUntil: number
}

/** The longest a verified key is trusted without a look at the store, revocation signals aside. */
const MAX_CACHE_MS = 5 * 60_000

/**
 * Resolves an API key to the Principal of its user's membership, narrowed by
 * the key (SPEC §4.2). Every refusal is one of the SPEC §4.4 errors; the
 * `detail` (for audit only) says which check failed.
 */
export class ApiKeyVerifier {
  readonly #store: Store
  readonly #lastUsed: LastUsedTracker
  readonly #audit: AuditSink
  /**
   * Keys whose first use this process has audited while the store still says
   * "never used": `last_used_at` is written only when the tracker flushes, so
   * without this every verification before that flush would audit a first use.
   */
  readonly #firstUseAudited = new Set<string>()

  constructor(store: Store, lastUsed: LastUsedTracker, audit: AuditSink) {
    this.#store = store
    this.#lastUsed = lastUsed
    this.#audit = audit
  }

  /** A cached key was used again: its `last_used_at` moves, in memory until the next flush. */
  used(principal: Principal, now: number): void {
    if (principal.kind === 'api_key' && principal.keyId !== undefined) this.#lastUsed.touch(principal.keyId, now)
  }

  async verify(credential: string, now: number): Promise<VerifiedCredential> {
    const parsed = parseApiKey(credential)
    if (parsed === undefined) throw new AuthenticationError('AUTH_INVALID', { detail: 'malformed API key' })
    const row = await this.#store.apiKeys.findById(parsed.id)
    // Unknown id and wrong secret are the same answer, so ids cannot be probed.
    if (row === undefined || !secretMatches(parsed.secret, row.secret_hash)) {
      throw new AuthenticationError('AUTH_INVALID', { detail: row === undefined ? 'unknown key id' : 'wrong secret' })
    }
    const keyPrefix = row.prefix
    if (row.revoked_at !== null) throw new AuthenticationError('AUTH_EXPIRED', { detail: `${keyPrefix} revoked` })
    if (row.expires_at !== null && row.expires_at <= now) {
      throw new AuthenticationError('AUTH_EXPIRED', { detail: `${keyPrefix} expired` })
    }
    const [org, user, membership] = await Promise.all([
      this.#store.orgs.findById(row.org_id),
      this.#store.users.findById(row.user_id),
      this.#store.users.membership(row.org_id, row.user_id),
    ])
    if (user === undefined || user.status === 'deleted' || org?.status === 'deleted') {
      throw new AuthenticationError('AUTH_ACCOUNT_NOT_FOUND', { detail: `${keyPrefix} user or org deleted` })
    }
    if (org === undefined || membership === undefined) {
      throw new AuthenticationError('AUTH_NO_ORGANIZATION', { detail: `${keyPrefix} has no membership` })
    }
    if (user.status !== 'active' || org.status !== 'active' || membership.status !== 'active') {
      throw new AuthenticationError('AUTH_ACCOUNT_INACTIVE', {
        detail: `${keyPrefix} user, membership or org inactive`,
      })
    }

    if (row.last_used_at !== null) this.#firstUseAudited.delete(row.id)
    else if (!this.#firstUseAudited.has(row.id)) {
      this.#firstUseAudited.add(row.id)
      this.#audit.record({
        type: 'key.first_used',
        orgId: row.org_id,
        data: { key_prefix: keyPrefix, user_id: row.user_id },
      })
    }
    this.#lastUsed.touch(row.id, now)

    const permissions = permissionsFromObject(JSON.parse(row.permissions) as PermissionObject)
    const scopes = new Set<OAuthScope>()
    for (const p of permissions) if (p !== 'admin') scopes.add(SCOPE_FOR_PERMISSION[p])
    const principal: Principal = {
      kind: 'api_key',
      orgId: row.org_id,
      userId: row.user_id,
      keyId: row.id,
      keyPrefix,
      projectIds: JSON.parse(row.project_ids) as string[],
      scopes: [...scopes].sort(),
      permissions,
      domainAccess: JSON.parse(row.domain_access) as DomainAccess,
      attributes: membership.attributes,
      role: membership.role,
      groups: membership.groups,
      tokenId: row.id,
      expiresAt: row.expires_at,
      email: user.email,
      ...(user.name !== null && { name: user.name }),
    }
    const cacheUntil = Math.min(row.expires_at ?? Number.POSITIVE_INFINITY, now + MAX_CACHE_MS)
    return { principal, cacheUntil }
  }
}
