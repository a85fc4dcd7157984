import type { Store } from '../store/store.js'

/**
 * Keeps credential caches within the revocation bound of SPEC §7: a change
 * committed by this process clears at once (store listener); a change
 * committed by another process (the CLI, another worker) is seen by polling
 * the store's credential counter, every `intervalMs`.
 */
export class RevocationWatcher implements AsyncDisposable {
  readonly #store: Store
  readonly #onChange: () => void
  readonly #timer: NodeJS.Timeout
  readonly #unsubscribe: () => void
  #epoch: number | undefined
  #polling = false
  #closed = false

  constructor(store: Store, onChange: () => void, intervalMs = 250) {
    this.#store = store
    this.#onChange = onChange
    this.#unsubscribe = store.onCredentialsChanged(onChange)
    this.#timer = setInterval(() => void this.poll(), intervalMs)
    this.#timer.unref()
  }

  /** One poll; also called at start so the first change after it is noticed. */
  async poll(): Promise<void> {
    if (this.#polling || this.#closed) return
    this.#polling = true
    try {
      const epoch = await this.#store.credentialEpoch()
      if (this.#epoch !== undefined && epoch !== this.#epoch) this.#onChange()
      this.#epoch = epoch
    } catch {
      // The store is unreachable: nothing can be verified either, and /readyz reports it.
      // Fail closed: drop what is cached so no credential outlives the bound unchecked.
      this.#onChange()
      this.#epoch = undefined
    } finally {
      this.#polling = false
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#unsubscribe()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
