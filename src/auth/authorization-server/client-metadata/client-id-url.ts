import { InputError } from '../../../domain/errors.js'

const FIELD = 'client_id'
const DOT_SEGMENTS = new Set(['.', '..', '%2e', '%2e%2e', '.%2e', '%2e.'])

/**
 * Checks a URL `client_id` against draft-ietf-oauth-client-id-metadata-document §3: https, a path other than `/`,
 * no dot segments, no fragment, no user info. It must also be written exactly as the URL parser writes it,
 * because the document's `client_id` is compared to it as a string and the fetched URL must be that string.
 */
export function parseClientIdUrl(clientId: string, options: { readonly allowHttp?: boolean } = {}): URL {
  const refuse = (rule: string) => new InputError(`client_id ${rule}`, FIELD)
  if (!URL.canParse(clientId)) throw refuse('is not a URL')
  const url = new URL(clientId)
  const schemes = options.allowHttp === true ? ['https:', 'http:'] : ['https:']
  if (!schemes.includes(url.protocol)) throw refuse('must be an https URL')
  if (url.username !== '' || url.password !== '') throw refuse('must not contain a username or password')
  if (clientId.includes('#')) throw refuse('must not contain a fragment')
  // The parser resolves dot segments away, so they are looked for in the text as given.
  const rawPath = clientId.replace(/^[a-z]+:\/\/[^/\\?#]*/i, '').replace(/[?#].*$/s, '')
  if (rawPath.split(/[/\\]/).some((segment) => DOT_SEGMENTS.has(segment.toLowerCase()))) {
    throw refuse('must not contain "." or ".." path segments')
  }
  if (url.pathname === '/' || url.pathname === '') throw refuse('must have a path other than "/"')
  if (url.href !== clientId) throw refuse('must be a normalized URL (lowercase host, no default port)')
  return url
}
