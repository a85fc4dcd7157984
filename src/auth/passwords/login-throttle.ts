export interface LoginThrottleOptions {
  /** Failed sign-ins allowed per account in a window (guessing one password). */
  readonly perAccount?: number
  /** Failed sign-ins allowed per source address in a window (spraying many accounts). */
  readonly perSource?: number
  readonly windowMs?: number
  readonly now?: () => number
}

interface Window {
  count: number
  resetAt: number
}

/**
 * Slows password guessing: after too many failures for an account or from a
 * source address, sign-ins are refused until the window ends, before any
 * password is checked. Per process; a cluster multiplies the allowance by its
 * instance count, which still keeps guessing to a handful per minute.
 */
export class LoginThrottle {
  readonly #perAccount: number
  readonly #perSource: number
  readonly #windowMs: number
  readonly #now: () => number
  readonly #windows = new Map<string, Window>()

  constructor(options: LoginThrottleOptions = {}) {
    this.#perAccount = options.perAccount ?? 5
    this.#perSource = options.perSource ?? 20
    this.#windowMs = options.windowMs ?? 15 * 60_000
    this.#now = options.now ?? Date.now
  }

  /** Seconds until a sign-in may be tried again; 0 when it may be tried now. */
  retryAfter(source: string, account: string): number {
    const now = this.#now()
    const blocked = [this.#over(`a:${account}`, this.#perAccount, now), this.#over(`s:${source}`, this.#perSource, now)]
    return Math.max(0, ...blocked.map((until) => Math.ceil((until - now) / 1000)))
  }

  failed(source: string, account: string): void {
    const now = this.#now()
    for (const key of [`a:${account}`, `s:${source}`]) {
      const window = this.#windows.get(key)
      if (window === undefined || window.resetAt <= now)
        this.#windows.set(key, { count: 1, resetAt: now + this.#windowMs })
      else window.count += 1
    }
    if (this.#windows.size > 100_000) this.#sweep(now)
  }

  succeeded(account: string): void {
    this.#windows.delete(`a:${account}`)
  }

  #over(key: string, limit: number, now: number): number {
    const window = this.#windows.get(key)
    return window !== undefined && window.resetAt > now && window.count >= limit ? window.resetAt : now
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key)
  }
}
