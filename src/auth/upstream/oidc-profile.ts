import { fetchUserInfo } from 'openid-client'
import type { Configuration, TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client'
import { optionalText } from './upstream-profile.js'
import type { UpstreamProfile } from './upstream-profile.js'

/**
 * An OpenID Connect profile: the verified ID token's claims merged with the
 * userinfo response, which many providers (Keycloak, oidc-provider) fill with
 * the claims of the requested scopes instead of the ID token (OIDC Core §5.4).
 * openid-client refuses a userinfo response whose `sub` differs from the ID
 * token's (OIDC Core §5.3.2), so the merge cannot switch users.
 */
export async function readOidcProfile(
  config: Configuration,
  tokens: TokenEndpointResponse & TokenEndpointResponseHelpers,
): Promise<UpstreamProfile> {
  const idClaims: Readonly<Record<string, unknown>> = tokens.claims() ?? {}
  const subject = optionalText(idClaims.sub)
  let claims = idClaims
  if (subject !== undefined && config.serverMetadata().userinfo_endpoint !== undefined) {
    claims = { ...idClaims, ...(await fetchUserInfo(config, tokens.access_token, subject)) }
  }
  return {
    subject,
    email: optionalText(claims.email),
    // Some providers send the boolean as a string; anything else is not a verification.
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    name: optionalText(claims.name),
    claims,
  }
}
