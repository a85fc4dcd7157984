import { InputError } from '../../../domain/errors.js'
import type { ClientMetadataDocument } from './client-metadata-document.js'
import { fetchClientMetadataWithHeaders } from './fetch-client-metadata.js'
import type { ClientMetadataFetchOptions, FetchedClientMetadata } from './fetch-client-metadata.js'

export const MIN_TTL_S = 60
export const MAX_TTL_S = 24 * 60 * 60
export const DEFAULT_TTL_S = 5 * 60
export const NEGATIVE_TTL_S = 60
export const DEFAULT_MAX_ENTRIES = 1000

export interface ClientMetadataCacheOptions {
  readonly fetch?: ClientMetadataFetchOptions
  /** Most documents held; the least recently used goes first. Default 1000. */
  readonly maxEntries?: number
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number
}

type Entry =
  | { readonly ok: true; readonly document: ClientMetadataDocument; readonly expiresAt: number }
  | { readonly ok: false; readonly error: InputError; readonly expiresAt: number }

/**
 * How long a document may be reused: its `max-age`, held within [60 s, 24 h]. The floor stops a client from making
 * every authorization request fetch again (a hostile document could send `no-store` to use us as a request
 * amplifier); the ceiling bounds how long a changed `redirect_uris` keeps its old value here.
 */
export function cacheTtlSeconds(cacheControl: string | undefined): number {
  if (cacheControl === undefined) return DEFAULT_TTL_S
  let ttl: number | undefined
  for (const directive of cacheControl.split(',')) {
    const [name = '', value] = directive.trim().toLowerCase().split('=')
    if (name === 'no-store' || name === 'no-cache') ttl = 0
    else if (name === 'max-age' && value !== undefined && /^\d+$/.test(value) && ttl === undefined) ttl = Number(value)
  }
  return Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, ttl ?? DEFAULT_TTL_S))
}

/**
 * Client metadata documents by client id. Refusals are remembered for at most 60 s, so a client that fixes its
 * document is not locked out for long, while a broken one cannot make every request fetch again. Concurrent
 * requests for the same client id share one fetch.
 */
export class ClientMetadataCache {
  readonly #fetch: ClientMetadataFetchOptions
  readonly #maxEntries: number
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()
  readonly #pending = new Map<string, Promise<ClientMetadataDocument>>()

  constructor(options: ClientMetadataCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new InputError('maxEntries must be a positive integer', 'maxEntries')
    }
    this.#fetch = options.fetch ?? {}
    this.#maxEntries = maxEntries
    this.#now = options.now ?? Date.now
  }

  get size(): number {
    return this.#entries.size
  }

  async get(clientId: string): Promise<ClientMetadataDocument> {
    const entry = this.#entries.get(clientId)
    if (entry !== undefined && entry.expiresAt > this.#now()) {
      // Re-inserting moves the entry to the back of the Map's order, which is the eviction order.
      this.#entries.delete(clientId)
      this.#entries.set(clientId, entry)
      if (entry.ok) return entry.document
      throw entry.error
    }
    this.#entries.delete(clientId)
    const pending = this.#pending.get(clientId)
    if (pending !== undefined) return pending
    const load = this.#load(clientId).finally(() => this.#pending.delete(clientId))
    this.#pending.set(clientId, load)
    return load
  }

  async #load(clientId: string): Promise<ClientMetadataDocument> {
    let fetched: FetchedClientMetadata
    try {
      fetched = await fetchClientMetadataWithHeaders(clientId, this.#fetch)
    } catch (error) {
      if (error instanceof InputError) {
        this.#remember(clientId, { ok: false, error, expiresAt: this.#now() + NEGATIVE_TTL_S * 1000 })
      }
      throw error
    }
    const expiresAt = this.#now() + cacheTtlSeconds(fetched.cacheControl) * 1000
    this.#remember(clientId, { ok: true, document: fetched.document, expiresAt })
    return fetched.document
  }

  #remember(clientId: string, entry: Entry): void {
    this.#entries.set(clientId, entry)
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break
      this.#entries.delete(oldest)
    }
  }

  clear(): void {
    this.#entries.clear()
  }
}
