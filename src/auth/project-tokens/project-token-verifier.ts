import type { Store } from '../../store/store.js'
import type { Principal } from '../../domain/principal.js'
import { AuthenticationError } from '../../domain/errors.js'
import { hasPrefix } from '../../domain/ids.js'
import type { OAuthScope } from '../../domain/permissions.js'
import { SCOPE_FOR_PERMISSION, permissionsFromObject } from '../../domain/permissions.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import { TOKEN_TYPES } from '../tokens/token-types.js'
import type { VerifiedCredential } from '../api-keys/api-key-verifier.js'
import { projectTokenClaims } from './project-token-claims.js'
import type { ProjectTokenClaims } from './project-token-claims.js'

/** The longest a verified token is trusted without a look at the store, revocation signals aside. */
const MAX_CACHE_MS = 5 * 60_000

/**
 * Resolves a project token (`typ: gatehouse-project+jwt`) to its Principal.
 * The signature and claims say what was granted when it was minted; the store
 * says whether that still holds: the secret it was minted with is live, the
 * project and org exist, and the org user is still an active member (or the
 * tenant still exists). Every refusal is a SPEC §4.4 error; `detail` is for
 * the audit log only.
 */
export class ProjectTokenVerifier {
  readonly #store: Store
  readonly #keys: SigningKeys

  constructor(store: Store, keys: SigningKeys) {
    this.#store = store
    this.#keys = keys
  }

  async verify(credential: string, now: number): Promise<VerifiedCredential> {
    const payload = await this.#keys.verify(credential, { typ: TOKEN_TYPES.project, now })
    const parsed = projectTokenClaims.safeParse(payload)
    if (!parsed.success) throw new AuthenticationError('AUTH_INVALID', { detail: 'project token claims malformed' })
    const claims = parsed.data as ProjectTokenClaims & { exp: number }
    const tokenRef = `project token ${claims.jti} (${claims.sid})`

    const [org, secret, project] = await Promise.all([
      this.#store.orgs.findById(claims.org_id),
      this.#store.projectSecrets.findById(claims.sid),
      this.#store.projects.findByRef(claims.org_id, claims.project_id),
    ])
    if (org === undefined || org.status === 'deleted') {
      throw new AuthenticationError('AUTH_ACCOUNT_NOT_FOUND', { detail: `${tokenRef}: org deleted` })
    }
    // A secret revoked or rotated revokes every token minted with it; so does a deleted project.
    if (
      secret === undefined ||
      secret.revoked_at !== null ||
      secret.org_id !== claims.org_id ||
      secret.project_id !== claims.project_id
    ) {
      throw new AuthenticationError('AUTH_EXPIRED', { detail: `${tokenRef}: secret revoked` })
    }
    if (project === undefined || project.id !== claims.project_id) {
      throw new AuthenticationError('AUTH_EXPIRED', { detail: `${tokenRef}: project deleted` })
    }
    if (org.status !== 'active') {
      throw new AuthenticationError('AUTH_ACCOUNT_INACTIVE', { detail: `${tokenRef}: org inactive` })
    }

    const permissions = permissionsFromObject(claims.permissions)
    const scopes = new Set<OAuthScope>()
    for (const p of permissions) if (p !== 'admin') scopes.add(SCOPE_FOR_PERMISSION[p])
    const common = {
      kind: 'project_token' as const,
      orgId: claims.org_id,
      keyId: claims.sid,
      projectIds: [claims.project_id],
      scopes: [...scopes].sort(),
      // `admin` is never granted to a project token, whatever the claims say.
      permissions: new Set([...permissions].filter((p) => p !== 'admin')),
      domainAccess: claims.domain_access,
      tokenId: claims.jti,
      expiresAt: claims.exp * 1000,
      ...(claims.security_params !== undefined && { securityParams: claims.security_params }),
    }
    const principal: Principal =
      claims.tenant_id === undefined && hasPrefix(claims.sub, 'usr')
        ? { ...common, ...(await this.#orgUser(claims.org_id, claims.sub, tokenRef)) }
        : { ...common, ...(await this.#tenantUser(claims, tokenRef)) }
    return { principal, cacheUntil: Math.min(claims.exp * 1000, now + MAX_CACHE_MS) }
  }

  /** The same membership rules as an API key's user (SPEC §4.2). */
  async #orgUser(orgId: string, userId: string, tokenRef: string) {
    const [user, membership] = await Promise.all([
      this.#store.users.findById(userId),
      this.#store.users.membership(orgId, userId),
    ])
    if (user === undefined || user.status === 'deleted') {
      throw new AuthenticationError('AUTH_ACCOUNT_NOT_FOUND', { detail: `${tokenRef}: user deleted` })
    }
    if (membership === undefined) {
      throw new AuthenticationError('AUTH_NO_ORGANIZATION', { detail: `${tokenRef}: user has no membership` })
    }
    if (user.status !== 'active' || membership.status !== 'active') {
      throw new AuthenticationError('AUTH_ACCOUNT_INACTIVE', { detail: `${tokenRef}: user or membership inactive` })
    }
    return {
      userId,
      role: membership.role,
      groups: membership.groups,
      attributes: membership.attributes,
      email: user.email,
      ...(user.name !== null && { name: user.name }),
    }
  }

  async #tenantUser(claims: ProjectTokenClaims, tokenRef: string) {
    let tenantAttributes: Readonly<Record<string, unknown>> | undefined
    if (claims.tenant_id !== undefined) {
      const tenant = await this.#store.tenants.findByRef(claims.org_id, claims.tenant_id)
      if (tenant === undefined || tenant.id !== claims.tenant_id) {
        throw new AuthenticationError('AUTH_ACCOUNT_NOT_FOUND', { detail: `${tokenRef}: tenant deleted` })
      }
      tenantAttributes = tenant.attributes
    }
    return {
      role: 'tenant_user' as const,
      groups: [],
      attributes: {},
      ...(claims.tenant_id !== undefined && { tenantId: claims.tenant_id }),
      ...(claims.end_user_id !== undefined && { endUserId: claims.end_user_id }),
      ...(tenantAttributes !== undefined && { tenantAttributes }),
    }
  }
}
