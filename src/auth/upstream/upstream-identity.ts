import type { MappedRole } from './claim-mapping.js'

/** The tokens an identity provider issued at sign-in; kept sealed for `get_user_external_token()`. */
export interface UpstreamTokens {
  readonly accessToken: string
  readonly refreshToken?: string
  /** Epoch milliseconds, when the provider said how long the access token lives. */
  readonly expiresAt?: number
  readonly scope?: string
}

/** Who signed in at an identity provider, with the claim mapping of SPEC §3.1 applied. */
export interface UpstreamIdentity {
  /** The provider's configured id (`auth.providers[].id`), which identities are keyed by. */
  readonly provider: string
  /** The provider's stable user id: OIDC `sub`, GitHub's numeric user id, Atlassian's `account_id`. */
  readonly subject: string
  readonly email?: string
  /** True only when the provider vouches for the address (OIDC `email_verified`, GitHub's verified primary email). */
  readonly emailVerified: boolean
  readonly name?: string
  readonly groups: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
  /** Never `owner`: no identity provider may mint one. */
  readonly role: MappedRole
  readonly tokens: UpstreamTokens
}

/**
 * What a sign-in must remember between `start` and `finish`. The caller keeps
 * it server-side (in the login session), never in a URL: the code verifier is
 * what makes a stolen authorization code useless (PKCE, RFC 7636).
 */
export interface PendingUpstreamLogin {
  readonly providerId: string
  readonly state: string
  /** Set for OpenID Connect providers: binds the ID token to this sign-in. */
  readonly nonce?: string
  readonly codeVerifier: string
}
