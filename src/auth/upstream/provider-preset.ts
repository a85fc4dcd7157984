import type { ProviderConfig, ProviderType } from '../../config/config-schema.js'
import { isLoopbackHost, parseUrl } from '../../config/network-address.js'
import { GatehouseError } from '../../domain/errors.js'

/**
 * How Gatehouse talks to one configured provider once its preset and the
 * endpoint overrides of `gatehouse.yaml` are applied. `oidc` providers are
 * discovered from their issuer; `oauth2` ones (GitHub, Atlassian) have no
 * discovery document and no ID token, so every endpoint is known here.
 */
export interface ProviderPreset {
  readonly id: string
  readonly type: ProviderType
  readonly protocol: 'oidc' | 'oauth2'
  /** OIDC: where discovery starts and what ID tokens must name. OAuth 2.0: the `iss` a callback may carry. */
  readonly issuer: string
  readonly authorizationEndpoint: string | undefined
  readonly tokenEndpoint: string | undefined
  readonly userinfoEndpoint: string | undefined
  /** GitHub's REST API root (`/user`, `/user/emails`); GitHub Enterprise serves it under `/api/v3`. */
  readonly apiUrl: string | undefined
  readonly scope: string
  /** Fixed parameters of the authorization request that the provider needs. */
  readonly authorizationParameters: Readonly<Record<string, string>>
  /** Some URL is plain http on a loopback host; openid-client then has to be told to allow http. */
  readonly allowsHttp: boolean
}

interface Preset {
  readonly protocol: 'oidc' | 'oauth2'
  readonly issuer?: string
  readonly authorizationEndpoint?: string
  readonly tokenEndpoint?: string
  readonly userinfoEndpoint?: string
  readonly apiUrl?: string
  readonly scope: string
  readonly authorizationParameters?: Readonly<Record<string, string>>
}

const OIDC_SCOPE = 'openid profile email'

const PRESETS: Readonly<Record<ProviderType, Preset>> = {
  oidc: { protocol: 'oidc', scope: OIDC_SCOPE },
  keycloak: { protocol: 'oidc', scope: OIDC_SCOPE },
  google: { protocol: 'oidc', issuer: 'https://accounts.google.com', scope: OIDC_SCOPE },
  salesforce: { protocol: 'oidc', issuer: 'https://login.salesforce.com', scope: OIDC_SCOPE },
  github: {
    protocol: 'oauth2',
    issuer: 'https://github.com',
    authorizationEndpoint: 'https://github.com/login/oauth/authorize',
    tokenEndpoint: 'https://github.com/login/oauth/access_token',
    apiUrl: 'https://api.github.com',
    scope: 'read:user user:email',
  },
  atlassian: {
    protocol: 'oauth2',
    issuer: 'https://auth.atlassian.com',
    authorizationEndpoint: 'https://auth.atlassian.com/authorize',
    tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
    userinfoEndpoint: 'https://api.atlassian.com/me',
    scope: 'read:me',
    // Atlassian issues tokens for its API gateway only when asked, and shows its consent screen every time.
    authorizationParameters: { audience: 'api.atlassian.com', prompt: 'consent' },
  },
}

function invalid(provider: ProviderConfig, key: string, expected: string): GatehouseError<'CONFIG_INVALID'> {
  return new GatehouseError('CONFIG_INVALID', `auth.providers[${provider.id}].${key}: ${expected}`)
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function issuerOf(provider: ProviderConfig, preset: Preset): string {
  if (provider.type === 'keycloak') {
    if (provider.issuer !== undefined) {
      throw invalid(provider, 'issuer', 'a keycloak provider takes server_url and realm, not issuer')
    }
    return `${trimSlash(provider.server_url ?? '')}/realms/${encodeURIComponent(provider.realm ?? '')}`
  }
  if (preset.protocol === 'oauth2' && provider.issuer !== undefined) {
    throw invalid(provider, 'issuer', `a ${provider.type} provider has no issuer; override its endpoints instead`)
  }
  // Google and Salesforce take an issuer override: a Salesforce sandbox or My Domain has its own.
  const issuer = provider.issuer ?? preset.issuer
  if (issuer === undefined) throw invalid(provider, 'issuer', 'an oidc provider needs an issuer URL')
  return issuer
}

/**
 * Plain http reaches a provider only on a loopback host (a test or a local
 * Keycloak): anywhere else the authorization code and the tokens would cross
 * the network in clear text (OAuth 2.1 §1.5).
 */
function checkTransport(provider: ProviderConfig, key: string, value: string | undefined): boolean {
  if (value === undefined) return false
  const url = parseUrl(value)
  if (url === undefined) throw invalid(provider, key, 'expected an absolute http(s) URL')
  if (url.protocol === 'https:') return false
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return true
  throw invalid(provider, key, 'expected an https:// URL (http:// is accepted only on a loopback host)')
}

/** Applies the preset of `provider.type` and the overrides; throws CONFIG_INVALID for a URL that may not be used. */
export function providerPreset(provider: ProviderConfig): ProviderPreset {
  const preset = PRESETS[provider.type]
  if (provider.api_url !== undefined && provider.type !== 'github') {
    throw invalid(provider, 'api_url', 'api_url applies only to github providers')
  }
  const resolved: ProviderPreset = {
    id: provider.id,
    type: provider.type,
    protocol: preset.protocol,
    issuer: issuerOf(provider, preset),
    authorizationEndpoint: provider.authorization_endpoint ?? preset.authorizationEndpoint,
    tokenEndpoint: provider.token_endpoint ?? preset.tokenEndpoint,
    userinfoEndpoint: provider.userinfo_endpoint ?? preset.userinfoEndpoint,
    apiUrl: provider.api_url === undefined ? preset.apiUrl : trimSlash(provider.api_url),
    scope: provider.scope ?? preset.scope,
    authorizationParameters: preset.authorizationParameters ?? {},
    allowsHttp: false,
  }
  const urls = {
    issuer: resolved.issuer,
    authorization_endpoint: resolved.authorizationEndpoint,
    token_endpoint: resolved.tokenEndpoint,
    userinfo_endpoint: resolved.userinfoEndpoint,
    api_url: resolved.apiUrl,
  }
  let allowsHttp = false
  for (const [key, value] of Object.entries(urls)) {
    const http = checkTransport(provider, key === 'issuer' && provider.type === 'keycloak' ? 'server_url' : key, value)
    allowsHttp ||= http
  }
  return { ...resolved, allowsHttp }
}

/** Whether a URL a discovery document advertised may be used: https, or http on a loopback host. */
export function isUsableEndpoint(value: string): boolean {
  const url = parseUrl(value)
  return url !== undefined && (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))
}
