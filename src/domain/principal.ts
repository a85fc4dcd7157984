import type { PermissionSet } from './permissions.js'

export type PrincipalKind = 'oauth' | 'api_key' | 'project_token'
export type MemberRole = 'owner' | 'admin' | 'member'

export type DomainAccess =
  | { readonly mode: 'all' }
  | { readonly mode: 'none' }
  | { readonly mode: 'include' | 'exclude'; readonly domains: readonly string[] }

/**
 * Who is calling, whatever the credential (SPEC §4). Every credential kind
 * resolves to one of these; `authz` decides on it and never sees a request.
 * `orgId` comes from the verified credential, never from request input.
 */
export interface Principal {
  readonly kind: PrincipalKind
  readonly orgId: string
  readonly userId?: string
  readonly tenantId?: string
  readonly clientId?: string
  readonly keyId?: string
  /** A key's visible prefix `gk_<id>`: safe to log and audit. */
  readonly keyPrefix?: string
  readonly projectIds: readonly string[]
  readonly scopes: readonly string[]
  readonly permissions: PermissionSet
  readonly domainAccess: DomainAccess
  readonly attributes: Readonly<Record<string, unknown>>
  readonly role: MemberRole | 'tenant_user'
  readonly groups: readonly string[]
  /** The credential's id (key id, token `jti`): what revocation and audit refer to. */
  readonly tokenId: string
  /** Epoch milliseconds; `null` for a credential that never expires. */
  readonly expiresAt: number | null
  readonly email?: string
  readonly name?: string
  /** A tenant-user project token's end user, as the embedding product named them (SPEC §4.3). */
  readonly endUserId?: string
  /** The tenant's attributes (e.g. the `tenant_id` row-level security filters on), for a tenant-user token. */
  readonly tenantAttributes?: Readonly<Record<string, unknown>>
  /** A project token's `securityParams`: they may narrow what a policy assignment grants, never widen it. */
  readonly securityParams?: Readonly<Record<string, unknown>>
}
