import type { Store } from './store.js'
import { STORE_COUNTERS } from './store-counters.js'
import type { StoreCounter } from './store-counters.js'

export type ChangeHandlers = Readonly<Record<StoreCounter, () => void>>

/**
 * Keeps every cache within the bound of SPEC §7: a change committed by this
 * process is handled at once (store listeners); a change committed by another
 * process (the CLI, another worker) is seen by polling the store's change
 * counters, all in one query, every `intervalMs`. When the store cannot be
 * read, every handler runs: nothing cached outlives the bound unchecked.
 */
export class StoreChangeWatcher implements AsyncDisposable {
  readonly #store: Store
  readonly #handlers: ChangeHandlers
  readonly #timer: NodeJS.Timeout
  readonly #unsubscribe: (() => void)[]
  #last: Record<StoreCounter, number> | undefined
  #polling = false
  #closed = false

  constructor(store: Store, handlers: ChangeHandlers, intervalMs = 250) {
    this.#store = store
    this.#handlers = handlers
    this.#unsubscribe = STORE_COUNTERS.map((counter) => store.onChange(counter, handlers[counter]))
    this.#timer = setInterval(() => void this.poll(), intervalMs)
    this.#timer.unref()
  }

  /** One poll; also called at start so the first change after it is noticed. */
  async poll(): Promise<void> {
    if (this.#polling || this.#closed) return
    this.#polling = true
    try {
      const now = await this.#store.counters()
      const last = this.#last
      if (last !== undefined) for (const c of STORE_COUNTERS) if (now[c] !== last[c]) this.#handlers[c]()
      this.#last = now
    } catch {
      for (const c of STORE_COUNTERS) this.#handlers[c]()
      this.#last = undefined
    } finally {
      this.#polling = false
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
