import { timingSafeEqual } from 'node:crypto'
import {
  ClientError,
  ResponseBodyError,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from 'openid-client'
import type { Configuration, TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client'
import type { ProviderConfig } from '../../config/config-schema.js'
import { mapClaims } from './claim-mapping.js'
import { readAtlassianProfile } from './atlassian-profile.js'
import { readGithubProfile } from './github-profile.js'
import { readOidcProfile } from './oidc-profile.js'
import { loadConfiguration } from './provider-configuration.js'
import { providerPreset } from './provider-preset.js'
import type { ProviderPreset } from './provider-preset.js'
import type { PendingUpstreamLogin, UpstreamIdentity } from './upstream-identity.js'
import { UpstreamLoginError } from './upstream-login-error.js'
import type { UpstreamLoginFailure } from './upstream-login-error.js'
import type { UpstreamProfile } from './upstream-profile.js'

export interface UpstreamLoginOptions {
  /** The redirect URI registered at the provider: `${public_url}/login/${providerId}/callback`. */
  readonly callbackUrl: (providerId: string) => string
  readonly now?: () => number
}

interface Provider {
  readonly config: ProviderConfig
  readonly preset: ProviderPreset
}

type GrantResponse = TokenEndpointResponse & TokenEndpointResponseHelpers

// openid-client codes of a response whose ID token did not verify (signature, nonce, audience, times).
const ID_TOKEN_CODES = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
])

/**
 * What went wrong, for `detail` (logs and audit only). openid-client's errors
 * carry the request parameters or the token response as `cause`: those hold
 * the code and the tokens, so only names, codes and fixed messages are kept.
 */
function describe(error: unknown): string {
  if (error instanceof ResponseBodyError) {
    return `HTTP ${error.status} ${error.error}${error.error_description === undefined ? '' : `: ${error.error_description}`}`
  }
  if (!(error instanceof Error)) return 'unknown failure'
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  const code = (error as { code?: unknown }).code
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}${cause}`
}

function isIdTokenFailure(error: unknown): boolean {
  if (!(error instanceof ClientError)) return false
  if (error.code !== undefined && ID_TOKEN_CODES.has(error.code)) return true
  return error.cause instanceof Error && /ID Token|JWT/.test(error.cause.message)
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Sign-in through the identity providers of `auth.providers` (SPEC §3.1,
 * §4.1): authorization code with PKCE S256 and `state` always, and a `nonce`
 * for OpenID Connect providers. Only the parameters built here reach a
 * provider: the MCP client's `resource` belongs to Gatehouse's own
 * authorization server and is never passed upstream.
 */
export class UpstreamLogin {
  readonly #providers: ReadonlyMap<string, Provider>
  readonly #configurations = new Map<string, Promise<Configuration>>()
  readonly #callbackUrl: (providerId: string) => string
  readonly #now: () => number

  /** Throws CONFIG_INVALID when a provider's URLs may not be used (plain http off loopback, misplaced keys). */
  constructor(providers: readonly ProviderConfig[], options: UpstreamLoginOptions) {
    this.#providers = new Map(providers.map((config) => [config.id, { config, preset: providerPreset(config) }]))
    this.#callbackUrl = options.callbackUrl
    this.#now = options.now ?? Date.now
  }

  /** The configured providers, in config order, for a login page to list. */
  get providers(): readonly { readonly id: string; readonly type: ProviderConfig['type'] }[] {
    return [...this.#providers.values()].map(({ config }) => ({ id: config.id, type: config.type }))
  }

  async start(providerId: string): Promise<{ authorizationUrl: string; pending: PendingUpstreamLogin }> {
    const provider = this.#provider(providerId)
    const config = await this.#configuration(provider)
    const codeVerifier = randomPKCECodeVerifier()
    const state = randomState()
    const nonce = provider.preset.protocol === 'oidc' ? randomNonce() : undefined
    const parameters: Record<string, string> = {
      ...provider.preset.authorizationParameters,
      redirect_uri: this.#callbackUrl(providerId),
      scope: provider.preset.scope,
      state,
      code_challenge: await calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...(nonce !== undefined && { nonce }),
    }
    const authorizationUrl = buildAuthorizationUrl(config, parameters).href
    return {
      authorizationUrl,
      pending: { providerId, state, codeVerifier, ...(nonce !== undefined && { nonce }) },
    }
  }

  /**
   * Completes a sign-in from the callback request's URL and the pending login
   * kept since `start`. Every refusal is an UpstreamLoginError naming the
   * provider and what went wrong.
   */
  async finish(providerId: string, currentUrl: URL, pending: PendingUpstreamLogin): Promise<UpstreamIdentity> {
    const provider = this.#provider(providerId)
    const params = currentUrl.searchParams
    const state = params.get('state')
    // Checked before anything else is read from the response: without the state of a sign-in this
    // browser started, the response may be an attacker's code (login CSRF, RFC 6749 §10.12).
    if (pending.providerId !== providerId || state === null || !sameText(state, pending.state)) {
      throw this.#fail(provider, 'state_mismatch', 'the callback state is not the pending sign-in state')
    }
    const error = params.get('error')
    if (error !== null) {
      throw new UpstreamLoginError(providerId, 'upstream_error', {
        upstreamError: error,
        detail: `error=${error} error_description=${params.get('error_description') ?? ''}`,
      })
    }
    if (!params.get('code')) throw this.#fail(provider, 'code_missing', 'the callback has no code parameter')

    const config = await this.#configuration(provider)
    // The token request's redirect_uri must be the authorization request's, whatever host or proxy
    // the callback came through (RFC 6749 §4.1.3), so the callback URL is rebuilt from the config.
    const callback = new URL(this.#callbackUrl(providerId))
    callback.search = currentUrl.search
    const oidc = provider.preset.protocol === 'oidc'
    let tokens: GrantResponse
    try {
      tokens = await authorizationCodeGrant(config, callback, {
        expectedState: pending.state,
        pkceCodeVerifier: pending.codeVerifier,
        ...(oidc && { expectedNonce: pending.nonce ?? '', idTokenExpected: true }),
      })
    } catch (cause) {
      throw this.#fail(provider, isIdTokenFailure(cause) ? 'id_token_invalid' : 'token_request_failed', describe(cause))
    }

    let profile: UpstreamProfile
    try {
      profile = await this.#profile(provider, config, tokens)
    } catch (cause) {
      throw this.#fail(provider, 'profile_request_failed', describe(cause))
    }
    if (profile.subject === undefined) throw this.#fail(provider, 'subject_missing', 'no subject in the profile')

    const expiresIn = tokens.expiresIn()
    const mapped = mapClaims(profile.claims, provider.config.claims)
    return {
      provider: providerId,
      subject: profile.subject,
      ...(profile.email !== undefined && { email: profile.email }),
      emailVerified: profile.email !== undefined && profile.emailVerified,
      ...(profile.name !== undefined && { name: profile.name }),
      groups: mapped.groups,
      attributes: mapped.attributes,
      role: mapped.role,
      tokens: {
        accessToken: tokens.access_token,
        ...(tokens.refresh_token !== undefined && { refreshToken: tokens.refresh_token }),
        ...(expiresIn !== undefined && { expiresAt: this.#now() + expiresIn * 1000 }),
        ...(tokens.scope !== undefined && { scope: tokens.scope }),
      },
    }
  }

  #provider(providerId: string): Provider {
    const provider = this.#providers.get(providerId)
    if (provider === undefined) throw new UpstreamLoginError(providerId, 'provider_unknown')
    return provider
  }

  #fail(provider: Provider, reason: UpstreamLoginFailure, detail: string): UpstreamLoginError {
    return new UpstreamLoginError(provider.config.id, reason, { detail })
  }

  #profile(provider: Provider, config: Configuration, tokens: GrantResponse): Promise<UpstreamProfile> {
    const { preset } = provider
    if (preset.protocol === 'oidc') return readOidcProfile(config, tokens)
    if (preset.type === 'github') return readGithubProfile(config, tokens.access_token, preset.apiUrl ?? '')
    return readAtlassianProfile(config, tokens.access_token, preset.userinfoEndpoint ?? '')
  }

  /** Discovered once per provider; a failed discovery is forgotten, so the next sign-in tries again. */
  #configuration(provider: Provider): Promise<Configuration> {
    const { id, client_id, client_secret } = provider.config
    let loading = this.#configurations.get(id)
    if (loading === undefined) {
      loading = loadConfiguration(provider.preset, { clientId: client_id, clientSecret: client_secret }).catch(
        (cause: unknown) => {
          this.#configurations.delete(id)
          throw this.#fail(provider, 'provider_unavailable', describe(cause))
        },
      )
      this.#configurations.set(id, loading)
    }
    return loading
  }
}
