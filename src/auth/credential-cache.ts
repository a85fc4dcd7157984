import type { Principal } from '../domain/principal.js'

interface Entry {
  readonly principal: Principal
  /** Epoch ms after which the entry must not be used (the credential's own expiry). */
  readonly until: number
}

/**
 * Verified credentials, keyed by a hash of the whole credential (never the
 * credential itself). `clear()` runs on every revocation signal; entries also
 * stop at the credential's expiry. `generation` lets a verification that raced
 * with a revocation see that it must not cache its result.
 */
export class CredentialCache {
  readonly #entries = new Map<string, Entry>()
  readonly #maxEntries: number
  #generation = 0

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries
  }

  get generation(): number {
    return this.#generation
  }

  get size(): number {
    return this.#entries.size
  }

  get(hash: string, now: number): Principal | undefined {
    const entry = this.#entries.get(hash)
    if (entry === undefined) return undefined
    if (entry.until <= now) {
      this.#entries.delete(hash)
      return undefined
    }
    return entry.principal
  }

  /** Stores the result of a verification that started at `generation`, unless a revocation came in between. */
  set(hash: string, principal: Principal, until: number, generation: number): void {
    if (generation !== this.#generation) return
    if (this.#entries.size >= this.#maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(hash, { principal, until })
  }

  clear(): void {
    this.#generation++
    this.#entries.clear()
  }
}
