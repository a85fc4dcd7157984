import type { Store } from '../../store/store.js'

/**
 * `last_used_at` without a store write per request (SPEC §4.2): uses are kept
 * in memory and written in one transaction every `intervalMs` and on close.
 */
export class LastUsedTracker implements AsyncDisposable {
  readonly #store: Store
  #pending = new Map<string, number>()
  readonly #timer: NodeJS.Timeout
  #closed = false

  constructor(store: Store, intervalMs = 10_000) {
    this.#store = store
    this.#timer = setInterval(() => void this.flush().catch(() => {}), intervalMs)
    this.#timer.unref()
  }

  touch(keyId: string, at: number): void {
    this.#pending.set(keyId, at)
  }

  async flush(): Promise<void> {
    if (this.#pending.size === 0) return
    const batch = this.#pending
    this.#pending = new Map()
    try {
      await this.#store.apiKeys.recordLastUsed(batch)
    } catch (error) {
      // Keep the newer of the two values for a retry on the next flush.
      for (const [id, at] of batch) if ((this.#pending.get(id) ?? 0) < at) this.#pending.set(id, at)
      throw error
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    await this.flush()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
