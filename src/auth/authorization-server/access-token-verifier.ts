import { z } from 'zod'
import type { Store } from '../../store/store.js'
import type { Principal } from '../../domain/principal.js'
import { AuthenticationError } from '../../domain/errors.js'
import { permissionsForScopes } from '../../domain/permissions.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import { TOKEN_TYPES } from '../tokens/token-types.js'
import type { VerifiedCredential } from '../api-keys/api-key-verifier.js'
import type { TokenVerifier } from '../authenticator.js'
import { MCP_SCOPES } from './scopes.js'

/** The longest a verified token is trusted without a look at the store, revocation signals aside. */
const MAX_CACHE_MS = 5 * 60_000

/** RFC 9068 claims plus Gatehouse's (SPEC §4.1). */
const accessTokenClaims = z.object({
  sub: z.string().startsWith('usr_'),
  org_id: z.string().startsWith('org_'),
  client_id: z.string().min(1),
  grant_id: z.string().min(1),
  jti: z.string().min(1),
  scope: z.string().default(''),
  exp: z.number().int(),
  // A sender-constrained token (RFC 9449 `cnf`) would need its proof checked; Gatehouse issues none and takes none.
  cnf: z.never({ error: 'sender-constrained tokens are not accepted' }).optional(),
})

/**
 * Resolves an OAuth access token (`typ: at+jwt`, issued by Gatehouse's
 * authorization server) to its Principal. The signature, issuer, audience and
 * times are checked by `SigningKeys`; the store says whether the Connected
 * Application is still connected and the user still an active member.
 */
export class AccessTokenVerifier implements TokenVerifier {
  readonly #store: Store
  readonly #keys: SigningKeys

  constructor(store: Store, keys: SigningKeys) {
    this.#store = store
    this.#keys = keys
  }

  async verify(credential: string, now: number): Promise<VerifiedCredential> {
    const payload = await this.#keys.verify(credential, { typ: TOKEN_TYPES.access, now })
    const parsed = accessTokenClaims.safeParse(payload)
    if (!parsed.success) throw new AuthenticationError('AUTH_INVALID', { detail: 'access token claims malformed' })
    const claims = parsed.data
    const tokenRef = `access token ${claims.jti} (grant ${claims.grant_id})`

    const [grant, org, user, membership] = await Promise.all([
      this.#store.oauth.findGrant(claims.grant_id),
      this.#store.orgs.findById(claims.org_id),
      this.#store.users.findById(claims.sub),
      this.#store.users.membership(claims.org_id, claims.sub),
    ])
    if (grant === undefined || grant.org_id !== claims.org_id || grant.user_id !== claims.sub) {
      throw new AuthenticationError('AUTH_APP_DISCONNECTED', { detail: `${tokenRef}: no such grant` })
    }
    if (grant.disconnected_at !== null) {
      throw new AuthenticationError('AUTH_APP_DISCONNECTED', { detail: `${tokenRef}: ${grant.disconnect_reason}` })
    }
    if (org === undefined || org.status === 'deleted' || user === undefined || user.status === 'deleted') {
      throw new AuthenticationError('AUTH_ACCOUNT_NOT_FOUND', { detail: `${tokenRef}: org or user deleted` })
    }
    if (membership === undefined) {
      throw new AuthenticationError('AUTH_NO_ORGANIZATION', { detail: `${tokenRef}: user has no membership` })
    }
    if (org.status !== 'active' || user.status !== 'active' || membership.status !== 'active') {
      throw new AuthenticationError('AUTH_ACCOUNT_INACTIVE', {
        detail: `${tokenRef}: org, user or membership inactive`,
      })
    }

    // Only the MCP scopes mean anything here; `openid` and friends are for the authorization server.
    const scopes = claims.scope
      .split(' ')
      .filter((s): s is (typeof MCP_SCOPES)[number] => (MCP_SCOPES as readonly string[]).includes(s))
    const projectIds = JSON.parse(grant.project_ids) as string[]
    const principal: Principal = {
      kind: 'oauth',
      orgId: claims.org_id,
      userId: claims.sub,
      clientId: claims.client_id,
      projectIds,
      scopes: [...new Set(scopes)].sort(),
      permissions: permissionsForScopes(scopes),
      domainAccess: { mode: 'all' },
      attributes: membership.attributes,
      role: membership.role,
      groups: membership.groups,
      tokenId: claims.jti,
      expiresAt: claims.exp * 1000,
      email: user.email,
      ...(user.name !== null && { name: user.name }),
    }
    return { principal, cacheUntil: Math.min(claims.exp * 1000, now + MAX_CACHE_MS) }
  }
}
