import type { AuditSink } from '../../domain/audit-sink.js'
import { NotFoundError } from '../../domain/errors.js'
import type { Store } from '../../store/store.js'
import type { OAuthGrantRow } from '../../store/repositories/oauth-repository.js'

export interface ConnectedAppView {
  readonly id: string
  readonly org_id: string
  readonly user_id: string
  readonly client_id: string
  readonly client_name: string
  readonly project_ids: readonly string[]
  readonly scopes: readonly string[]
  readonly status: 'connected' | 'disconnected'
  readonly created_at: string
  readonly last_used_at: string | null
  readonly disconnected_at: string | null
  readonly disconnect_reason: string | null
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())

function view(row: OAuthGrantRow): ConnectedAppView {
  return {
    id: row.id,
    org_id: row.org_id,
    user_id: row.user_id,
    client_id: row.client_id,
    client_name: row.client_name,
    project_ids: JSON.parse(row.project_ids) as string[],
    scopes: row.scopes.split(' ').filter((s) => s !== ''),
    status: row.disconnected_at === null ? 'connected' : 'disconnected',
    created_at: iso(row.created_at) ?? '',
    last_used_at: iso(row.last_used_at),
    disconnected_at: iso(row.disconnected_at),
    disconnect_reason: row.disconnect_reason,
  }
}

/**
 * Connected Applications (SPEC §4.1): the grants users gave OAuth clients.
 * Disconnecting one deletes its codes and refresh tokens and marks it
 * disconnected, which every server notices through the credentials counter
 * (SPEC §7), so its access tokens fail although their JWTs are still valid.
 */
export class ConnectedApps {
  readonly #store: Store
  readonly #audit: AuditSink

  constructor(store: Store, audit: AuditSink) {
    this.#store = store
    this.#audit = audit
  }

  async list(orgId: string, userId?: string): Promise<ConnectedAppView[]> {
    return (await this.#store.oauth.listGrants(orgId, userId)).map(view)
  }

  /**
   * `orgId` null is the operator CLI; otherwise an app of another org is not
   * found, like an unknown one. `userId` narrows to the signed-in user's own apps.
   */
  async disconnect(
    scope: { orgId: string | null; userId?: string },
    id: string,
    by: string,
  ): Promise<ConnectedAppView> {
    const row = await this.#store.oauth.findGrant(id)
    if (
      row === undefined ||
      (scope.orgId !== null && row.org_id !== scope.orgId) ||
      (scope.userId !== undefined && row.user_id !== scope.userId)
    ) {
      throw new NotFoundError(`Connected application ${id}`)
    }
    const now = Date.now()
    const changed = await this.#store.oauth.revokeGrant(id, 'disconnected', now)
    if (changed) {
      this.#audit.record({
        type: 'app.disconnected',
        orgId: row.org_id,
        data: { grant_id: id, client_id: row.client_id, user_id: row.user_id, by },
      })
    }
    return view((await this.#store.oauth.findGrant(id)) ?? row)
  }
}
