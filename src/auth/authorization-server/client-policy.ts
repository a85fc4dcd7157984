import { isLoopbackHost, parseUrl } from '../../config/network-address.js'

/** Schemes a redirect URI may never use, whatever the client says (they run code or read local files). */
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'ftp:',
  'ws:',
  'wss:',
])

export type RedirectKind = 'https' | 'loopback' | 'private-use'

/** What a redirect URI is under SPEC §4.1, or a reason it is refused. */
export function classifyRedirectUri(uri: string): RedirectKind | { refused: string } {
  const url = parseUrl(uri)
  if (url === undefined) return { refused: 'is not an absolute URI' }
  if (uri.includes('#')) return { refused: 'must not contain a fragment' }
  if (url.protocol === 'https:') return 'https'
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? 'loopback' : { refused: 'uses http on a host that is not loopback' }
  }
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return { refused: `must not use the ${url.protocol.slice(0, -1)} scheme` }
  // RFC 8252 §7.1: a private-use scheme is a reverse domain name, e.g. com.example.app:/cb; cursor:// is common.
  return 'private-use'
}

interface ClientMetadataView {
  redirect_uris?: unknown
  application_type?: unknown
  token_endpoint_auth_method?: unknown
}

/**
 * Gatehouse's rules on every client, whatever its origin (registration,
 * metadata document, config): redirect URIs are https, loopback, or a
 * private-use scheme of a public client. A client whose redirect URIs are all
 * loopback or private-use is a native app (RFC 8252), so a loopback URI
 * matches on any port (§7.3). Runs as oidc-provider's client metadata
 * validator, before its own checks; may adjust `application_type`. `refuse`
 * builds the error to throw (oidc-provider's `invalid_redirect_uri`).
 */
export function applyClientPolicy(metadata: ClientMetadataView, refuse: (reason: string) => Error): void {
  const uris = Array.isArray(metadata.redirect_uris) ? (metadata.redirect_uris as unknown[]) : []
  const kinds: RedirectKind[] = []
  for (const uri of uris) {
    if (typeof uri !== 'string') throw refuse('redirect_uris must be strings')
    const kind = classifyRedirectUri(uri)
    if (typeof kind === 'object') throw refuse(`redirect_uri ${kind.refused}`)
    kinds.push(kind)
  }
  const isPublic = (metadata.token_endpoint_auth_method ?? 'client_secret_basic') === 'none'
  if (kinds.includes('private-use') && !isPublic) {
    throw refuse('a private-use scheme redirect_uri is for public clients (token_endpoint_auth_method none)')
  }
  if (kinds.length > 0 && kinds.every((k) => k !== 'https')) {
    if (metadata.application_type === undefined || metadata.application_type === 'web') {
      metadata.application_type = 'native'
    }
  }
}
