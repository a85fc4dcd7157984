import { lookup } from 'node:dns/promises'
import type { LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { InputError } from '../../../domain/errors.js'
import { parseClientIdUrl } from './client-id-url.js'
import { parseClientMetadataDocument } from './client-metadata-document.js'
import type { ClientMetadataDocument } from './client-metadata-document.js'
import { parseIpNetwork } from './ip-network.js'
import type { IpNetwork } from './ip-network.js'
import { buildMetadataRequestOptions } from './metadata-request.js'
import type { PinnedAddress } from './metadata-request.js'
import { isInNetworks, isPublicAddress } from './public-address.js'

export type ResolveHost = (hostname: string, options: { all: true }) => Promise<readonly LookupAddress[]>

export interface ClientMetadataFetchOptions {
  /** CIDR blocks that may be reached although not public (an operator's own clients; tests on 127.0.0.1). */
  readonly allowedPrivateNetworks?: readonly string[]
  /** Accepts `http:` client ids. For tests only: a metadata document fetched in clear text can be forged. */
  readonly allowHttpForTests?: boolean
  /** Largest body accepted, in bytes; default 5 KiB. */
  readonly maxBytes?: number
  /** Budget for resolving, connecting and reading, in milliseconds; default 5 s. */
  readonly timeoutMs?: number
  /** Resolves a host name to all its addresses; default `dns.promises.lookup`. */
  readonly resolve?: ResolveHost
  /** Extra CA certificates (PEM) trusted besides the system's, e.g. an organization's internal CA. */
  readonly extraCa?: string
  /** Cancels the fetch, e.g. when the authorization request that needs it goes away. */
  readonly signal?: AbortSignal
}

/** A fetched document and the `Cache-Control` header it came with, for the cache to honour. */
export interface FetchedClientMetadata {
  readonly document: ClientMetadataDocument
  readonly cacheControl: string | undefined
}

export const DEFAULT_MAX_BYTES = 5 * 1024
export const DEFAULT_TIMEOUT_MS = 5_000

const FIELD = 'client_id'
const refuse = (rule: string, detail?: string) =>
  new InputError(`client metadata document ${rule}`, FIELD, detail === undefined ? {} : { detail })

/**
 * Fetches and validates the Client ID Metadata Document at `clientId` (draft-ietf-oauth-client-id-metadata-document).
 * The URL comes from an unauthenticated client, so the fetch is a server-side request forgery risk: the host is
 * resolved once, every address must be public, the socket is pinned to a checked address, redirects are not
 * followed, and size and time are bounded. Every refusal is an `InputError` that names the rule, never the body.
 */
export async function fetchClientMetadata(
  clientId: string,
  options: ClientMetadataFetchOptions = {},
): Promise<ClientMetadataDocument> {
  return (await fetchClientMetadataWithHeaders(clientId, options)).document
}

export async function fetchClientMetadataWithHeaders(
  clientId: string,
  options: ClientMetadataFetchOptions = {},
): Promise<FetchedClientMetadata> {
  const url = parseClientIdUrl(clientId, { allowHttp: options.allowHttpForTests === true })
  const allowed = (options.allowedPrivateNetworks ?? []).map((cidr) => parseIpNetwork(cidr))
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
  try {
    const pinned = await resolvePinnedAddress(url, allowed, options.resolve ?? defaultResolve, signal)
    const response = await get(url, pinned, options.maxBytes ?? DEFAULT_MAX_BYTES, signal, options.extraCa)
    let json: unknown
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(response.body))
    } catch {
      throw refuse('is not valid JSON')
    }
    return { document: parseClientMetadataDocument(json, clientId), cacheControl: response.cacheControl }
  } catch (error) {
    if (error instanceof InputError) throw error
    if (timeout.aborted) throw refuse(`could not be fetched within ${timeoutMs} ms`)
    if (signal.aborted) throw refuse('fetch was cancelled')
    throw refuse('could not be fetched', String(error))
  }
}

const defaultResolve: ResolveHost = (hostname, options) => lookup(hostname, options)

async function resolvePinnedAddress(
  url: URL,
  allowed: readonly IpNetwork[],
  resolve: ResolveHost,
  signal: AbortSignal,
): Promise<PinnedAddress> {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: readonly LookupAddress[]
  if (isIP(hostname) !== 0) {
    addresses = [{ address: hostname, family: isIP(hostname) }]
  } else {
    try {
      addresses = await raceAbort(resolve(hostname, { all: true }), signal)
    } catch (error) {
      if (signal.aborted) throw error
      throw refuse('host could not be resolved', String(error))
    }
  }
  // Every address is checked, not only the one used: a name with one public and one private address is refused
  // whole, since which one a later step would use is not ours to decide.
  const refused = addresses.find(({ address }) => !isPublicAddress(address) && !isInNetworks(address, allowed))
  if (refused !== undefined) throw refuse('host resolves to a non-public address', refused.address)
  const first = addresses[0]
  if (first === undefined) throw refuse('host could not be resolved')
  const family = isIP(first.address)
  if (family !== 4 && family !== 6) throw refuse('host could not be resolved', first.address)
  return { address: first.address, family }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

interface RawResponse {
  readonly body: Buffer
  readonly cacheControl: string | undefined
}

function get(
  url: URL,
  pinned: PinnedAddress,
  maxBytes: number,
  signal: AbortSignal,
  extraCa: string | undefined,
): Promise<RawResponse> {
  signal.throwIfAborted()
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(buildMetadataRequestOptions(url, pinned, signal, extraCa), (res) => {
      const refusal = checkResponseHead(res.statusCode ?? 0, res.headers, maxBytes)
      if (refusal !== undefined) {
        fail(refusal)
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        // Stop reading at once: a hostile server may stream without end.
        if (size > maxBytes) fail(refuse(`is larger than ${maxBytes} bytes`))
        else chunks.push(chunk)
      })
      res.on('end', () => resolve({ body: Buffer.concat(chunks), cacheControl: res.headers['cache-control'] }))
      res.on('error', fail)
    })
    // The request's own signal aborts the socket; this makes sure the promise settles with the abort too.
    const onAbort = () => fail(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    req.on('error', fail)
    req.on('close', () => signal.removeEventListener('abort', onAbort))
    req.end()

    function fail(error: unknown) {
      reject(error)
      req.destroy()
    }
  })
}

function checkResponseHead(status: number, headers: IncomingHttpHeaders, maxBytes: number): InputError | undefined {
  // A redirect could point anywhere, including at an internal address; the document must be at the URL itself.
  if (status >= 300 && status < 400)
    return refuse(`fetch was redirected (status ${status}); redirects are not followed`)
  if (status !== 200) return refuse(`fetch returned status ${status}, expected 200`)
  const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/json') return refuse('content-type must be application/json')
  const length = Number(headers['content-length'] ?? 0)
  if (length > maxBytes) return refuse(`is larger than ${maxBytes} bytes`)
  return undefined
}
