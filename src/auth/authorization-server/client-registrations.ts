import { hash } from 'node:crypto'
import type { OAuthRepository } from '../../store/repositories/oauth-repository.js'

export interface ClientRegistrationOptions {
  /** Registrations accepted from one source address per hour (identical public ones are not counted). */
  readonly perSourcePerHour?: number
  /** Dynamic clients that never completed a grant are deleted after this long. */
  readonly unusedClientTtlMs?: number
}

export type RegistrationDecision =
  | { readonly kind: 'new'; readonly fingerprint?: string }
  | { readonly kind: 'existing'; readonly registration: Record<string, unknown> }
  | {
      readonly kind: 'refused'
      readonly status: number
      readonly error: string
      readonly description: string
      readonly retryAfterS?: number
    }

const HOUR_MS = 3_600_000

/** JSON with sorted keys, so two identical registrations hash alike whatever their member order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Gatehouse's rules on Dynamic Client Registration (SPEC §4.1) around
 * oidc-provider's: a rate limit per source address (kept in the store, so it
 * holds across restarts and instances), de-duplication of identical public
 * registrations from one source (MCP clients register on every connect), and
 * reaping of clients that never completed a grant. Confidential registrations
 * are never de-duplicated: each must get its own secret.
 */
export class ClientRegistrations {
  readonly #repository: OAuthRepository
  readonly #perSourcePerHour: number
  readonly #unusedClientTtlMs: number

  constructor(repository: OAuthRepository, options: ClientRegistrationOptions = {}) {
    this.#repository = repository
    this.#perSourcePerHour = options.perSourcePerHour ?? 20
    this.#unusedClientTtlMs = options.unusedClientTtlMs ?? 24 * HOUR_MS
  }

  async admit(source: string, body: Buffer | undefined, now = Date.now()): Promise<RegistrationDecision> {
    let metadata: unknown
    try {
      metadata = body === undefined ? undefined : JSON.parse(body.toString('utf8'))
    } catch {
      // The provider answers malformed bodies with invalid_client_metadata.
      return { kind: 'new' }
    }
    const isPublic =
      metadata !== null &&
      typeof metadata === 'object' &&
      !Array.isArray(metadata) &&
      (metadata as Record<string, unknown>).token_endpoint_auth_method === 'none'
    const fingerprint = isPublic ? hash('sha256', `${source}\n${canonicalJson(metadata)}`, 'base64url') : undefined
    if (fingerprint !== undefined) {
      const existing = await this.#repository.findClientByFingerprint(fingerprint)
      if (existing !== undefined && existing.registered_from === source) {
        return {
          kind: 'existing',
          registration: {
            ...(JSON.parse(existing.metadata) as Record<string, unknown>),
            client_id: existing.client_id,
            client_id_issued_at: Math.floor(Number(existing.created_at) / 1000),
          },
        }
      }
    }
    const recent = await this.#repository.countRegistrations(source, now - HOUR_MS)
    if (recent >= this.#perSourcePerHour) {
      return {
        kind: 'refused',
        status: 429,
        error: 'too_many_requests',
        description: `Too many client registrations from this address; at most ${this.#perSourcePerHour} per hour`,
        retryAfterS: 3600,
      }
    }
    return { kind: 'new', ...(fingerprint !== undefined && { fingerprint }) }
  }

  /** Deletes dynamic clients that never completed a grant within the TTL; returns how many. */
  reap(now = Date.now()): Promise<number> {
    return this.#repository.reapClients(now - this.#unusedClientTtlMs)
  }
}
