import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import type * as OidcProviderNamespace from 'oidc-provider'
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider'
import type { Logger } from 'pino'
import type { AuthConfig } from '../../config/config-schema.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import type { Store } from '../../store/store.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import { SIGNING_ALG } from '../tokens/signing-keys.js'
import { fetchClientMetadataWithHeaders } from './client-metadata/fetch-client-metadata.js'
import { applyClientPolicy } from './client-policy.js'
import { canonicalResource, isThisResource } from './resource-indicator.js'
import { MCP_SCOPES, OIDC_SCOPES } from './scopes.js'
import { hashId, storeAdapter } from './store-adapter.js'
import { AsyncContextGate, oauthRequestContext } from './request-context.js'
import type { OAuthRequestContext } from './request-context.js'
import { errorPage } from '../../web/html.js'
import type { PendingRecords } from './provider-events.js'
import { auditProviderEvents } from './provider-events.js'

export interface AuthorizationServerOptions {
  readonly store: Store
  readonly signingKeys: SigningKeys
  readonly auth: AuthConfig
  /** `server.public_url`: the issuer. */
  readonly publicUrl: string
  readonly audit: AuditSink
  readonly logger: Logger
}

/** Paths of the authorization server (SPEC §3.4); the issuer is `public_url`, so they are absolute. */
export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  userinfo: '/oauth/userinfo',
  end_session: '/oauth/logout',
  jwks: '/.well-known/jwks.json',
} as const

/** An interaction's page: `/login/<uid>` or `/consent/<uid>` (the interaction cookie is scoped to that path). */
export function interactionPath(prompt: string, uid: string): string {
  return `/${prompt === 'login' ? 'login' : 'consent'}/${uid}`
}

const AUTHORIZATION_CODE_TTL_S = 60
const INTERACTION_TTL_S = 3600
const SESSION_TTL_S = 14 * 24 * 3600

type OidcProviderModule = typeof OidcProviderNamespace

/**
 * oidc-provider is loaded when a server starts, not when the CLI starts: on
 * Node 20 it prints a runtime warning on import, which commands that never
 * serve OAuth should not show.
 */
let oidcProvider: Promise<OidcProviderModule> | undefined
const loadOidcProvider = () => (oidcProvider ??= import('oidc-provider'))

/**
 * oidc-provider's own AsyncLocalStorage (an internal module, so reached by
 * path): undefined if a release moves it, which costs throughput, not correctness.
 */
async function loadOidcAsyncStorage(): Promise<{ disable(): void } | undefined> {
  try {
    const path = 'oidc-provider/lib/helpers/als.js'
    const module = (await import(path)) as { default?: { disable?: unknown } }
    return typeof module.default?.disable === 'function' ? (module.default as { disable(): void }) : undefined
  } catch {
    return undefined
  }
}

/**
 * Gatehouse's OAuth 2.1 authorization server: oidc-provider (the only place
 * it is used) configured for MCP clients, on Gatehouse's store and signing
 * keys. The provider signs with the current key; when another instance or
 * the CLI rotates the keys, the next request builds a provider with the new one.
 */
export class AuthorizationServer {
  readonly #options: AuthorizationServerOptions
  readonly #cookieKeys: readonly Buffer[]
  readonly #oidc: OidcProviderModule
  readonly #gate: AsyncContextGate
  readonly resource: string
  #current: { readonly kid: string; readonly provider: Provider } | undefined
  readonly #records: PendingRecords[] = []
  #building: Promise<Provider> | undefined

  private constructor(
    options: AuthorizationServerOptions,
    cookieKeys: readonly Buffer[],
    oidc: OidcProviderModule,
    gate: AsyncContextGate,
  ) {
    this.#options = options
    this.#cookieKeys = cookieKeys
    this.#oidc = oidc
    this.#gate = gate
    this.resource = canonicalResource(options.publicUrl)
  }

  static async create(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
    const cookieKey = await options.store.serverSecrets.get('oauth_cookie_key')
    const oidcStorage = await loadOidcAsyncStorage()
    if (oidcStorage === undefined) {
      options.logger.warn('oidc-provider internals moved: async context stays on after OAuth requests (slower /mcp)')
    }
    const gate = new AsyncContextGate(
      oidcStorage === undefined ? [oauthRequestContext] : [oauthRequestContext, oidcStorage],
    )
    const server = new AuthorizationServer(options, [cookieKey], await loadOidcProvider(), gate)
    await server.provider()
    return server
  }

  /** The provider signing with the current key. */
  async provider(): Promise<Provider> {
    const kid = await this.#options.signingKeys.currentKid()
    if (this.#current?.kid === kid) return this.#current.provider
    this.#building ??= this.#build().finally(() => (this.#building = undefined))
    return this.#building
  }

  /** Hands a request to oidc-provider (paths under `/oauth`, discovery, `/register` rewritten). */
  async handle(req: IncomingMessage, res: ServerResponse, context: OAuthRequestContext): Promise<void> {
    const provider = await this.provider()
    await this.#gate.around(() => oauthRequestContext.run(context, () => provider.callback()(req, res)))
  }

  /** Waits for the audit records still being prepared; call after the HTTP server stopped, before the audit log closes. */
  async close(): Promise<void> {
    await Promise.all(this.#records.map((r) => r.drain()))
  }

  async #build(): Promise<Provider> {
    const jwk = await this.#options.signingKeys.currentPrivateJwk()
    const provider = new this.#oidc.default(this.#options.publicUrl, this.#configuration(jwk))
    hashedClientSecrets(provider)
    this.#records.push(auditProviderEvents(provider, this.#options))
    this.#current = { kid: jwk.kid, provider }
    return provider
  }

  #configuration(jwk: { kid: string } & Record<string, unknown>): Configuration {
    const { auth, store } = this.#options
    const { errors } = this.#oidc
    const resource = this.resource
    const mcpScope = MCP_SCOPES.join(' ')
    return {
      adapter: storeAdapter(store.oauth),
      clients: auth.clients.map((client) => ({
        client_id: client.client_id,
        client_name: client.name,
        redirect_uris: [...client.redirect_uris],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        ...(client.client_secret === undefined
          ? { token_endpoint_auth_method: 'none' }
          : { client_secret: hashId(client.client_secret), token_endpoint_auth_method: 'client_secret_basic' }),
        ...(client.scopes !== undefined && { scope: [...client.scopes, ...OIDC_SCOPES].join(' ') }),
      })),
      jwks: { keys: [{ ...jwk, use: 'sig', alg: SIGNING_ALG }] },
      cookies: { keys: [...this.#cookieKeys] },
      findAccount: async (_ctx, sub) => {
        const user = await store.users.findById(sub)
        if (user === undefined || user.status !== 'active') return undefined
        return {
          accountId: sub,
          claims: () => ({
            sub,
            email: user.email,
            // Local accounts are created by an admin, upstream ones only from a verified address.
            email_verified: true,
            ...(user.name !== null && { name: user.name }),
          }),
        }
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      scopes: [...OIDC_SCOPES, ...MCP_SCOPES],
      responseTypes: ['code'],
      clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
      enabledJWA: {
        idTokenSigningAlgValues: [SIGNING_ALG],
        userinfoSigningAlgValues: [SIGNING_ALG],
        introspectionSigningAlgValues: [SIGNING_ALG],
        authorizationSigningAlgValues: [SIGNING_ALG],
      },
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: SIGNING_ALG,
        token_endpoint_auth_method: 'client_secret_basic',
      },
      // Clients may send RFC 7591's software_id; it is also where Gatehouse's client rules hook in.
      extraClientMetadata: {
        properties: ['software_id'],
        validator(_ctx, key, _value, metadata) {
          if (key === 'software_id') {
            applyClientPolicy(
              metadata as Parameters<typeof applyClientPolicy>[0],
              (reason) => new errors.InvalidRedirectUri(reason),
            )
          }
        },
      },
      allowOmittingSingleRegisteredRedirectUri: false,
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        registration: { enabled: auth.dynamic_registration, issueRegistrationAccessToken: false },
        // A client may revoke and introspect its own tokens only (RFC 7009 §2.1, RFC 7662 §2.1).
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => {
            if (token.clientId === client.clientId) return true
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token')
          },
        },
        introspection: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        userinfo: { enabled: true },
        rpInitiatedLogout: { enabled: false },
        // Bearer only (SPEC §4): /mcp does not check DPoP proofs, so it must never issue key-bound tokens.
        dPoP: { enabled: false },
        // Not an endpoint of SPEC §3.4; every authorization request goes through /oauth/authorize.
        pushedAuthorizationRequests: { enabled: false },
        clientIdMetadataDocument: {
          enabled: auth.client_id_metadata_documents,
          ack: 'draft-02',
          cacheDuration: { min: 60, max: 86_400 },
        },
        resourceIndicators: {
          enabled: true,
          // RFC 8707 and SPEC §4.1: a missing `resource` means this server's MCP endpoint.
          defaultResource: () => resource,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (!isThisResource(indicator, resource)) {
              throw new errors.InvalidTarget(`resource must be ${resource}`)
            }
            return {
              scope: mcpScope,
              audience: resource,
              accessTokenTTL: auth.access_token_ttl,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: SIGNING_ALG } },
            }
          },
        },
      },
      fetch: (url, init) => this.#fetchClientMetadata(url instanceof Request ? url.url : url, init),
      routes: { ...OAUTH_ROUTES },
      interactions: { url: (_ctx, interaction) => interactionPath(interaction.prompt.name, interaction.uid) },
      ttl: {
        AccessToken: auth.access_token_ttl,
        AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
        RefreshToken: auth.refresh_token_ttl,
        Grant: auth.refresh_token_ttl,
        Interaction: INTERACTION_TTL_S,
        Session: SESSION_TTL_S,
        IdToken: 3600,
      },
      rotateRefreshToken: true,
      // MCP clients seldom ask for offline_access; any client allowed the refresh_token grant gets one.
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      extraTokenClaims: async (_ctx, token) => {
        if (token.kind !== 'AccessToken' || token.grantId === undefined) return undefined
        const grant = await store.oauth.findGrant(token.grantId)
        if (grant === undefined || grant.disconnected_at !== null) {
          throw new errors.InvalidGrant('the grant is no longer connected')
        }
        return { org_id: grant.org_id, grant_id: token.grantId }
      },
      clientBasedCORS: (_ctx, origin, client) =>
        client.clientAuthMethod === 'none' &&
        (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
      renderError: (ctx, out) => {
        ctx.type = 'html'
        // The page every other sign-in refusal uses; only the OAuth error code and its public description.
        ctx.body = errorPage(
          'Sign-in could not continue',
          `${out.error}${out.error_description === undefined ? '' : `: ${out.error_description}`}. ` +
            'Return to the application and connect again.',
        )
      },
    }
  }

  /**
   * oidc-provider's only outbound request here: a Client ID Metadata Document,
   * fetched by Gatehouse's SSRF-safe fetcher (one resolution, pinned address,
   * public addresses only unless allowed, no redirects, size and time limits).
   */
  async #fetchClientMetadata(url: string | URL, init?: RequestInit): Promise<Response> {
    const fetched = await fetchClientMetadataWithHeaders(String(url), {
      allowedPrivateNetworks: this.#options.auth.client_metadata_allowed_networks,
      ...(this.#options.auth.client_metadata_ca !== undefined && { extraCa: this.#options.auth.client_metadata_ca }),
      ...(init?.signal != null && { signal: init.signal }),
    })
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (fetched.cacheControl !== undefined) headers['cache-control'] = fetched.cacheControl
    return new Response(JSON.stringify(fetched.document), { status: 200, headers })
  }
}

/**
 * Client secrets are stored hashed (SPEC: secrets hashed at rest): the
 * provider holds the hash as `client_secret` and compares the hash of what a
 * client presents, in constant time. Symmetric JWT algorithms, which would
 * need the secret itself, are not enabled.
 */
function hashedClientSecrets(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as {
    clientSecret?: string
    compareClientSecret(this: { clientSecret?: string }, actual: string): boolean
  }
  prototype.compareClientSecret = function compareClientSecret(actual: string): boolean {
    const expected = Buffer.from(this.clientSecret ?? '')
    const presented = Buffer.from(hashId(actual))
    return expected.length === presented.length && expected.length > 0 && timingSafeEqual(expected, presented)
  }
}

export type { KoaContextWithOIDC }
