import { createHmac, timingSafeEqual } from 'node:crypto'

export const ACCOUNT_COOKIE = 'gatehouse_account'
const DEFAULT_TTL_MS = 12 * 3600_000

/**
 * The signed-in user of Gatehouse's own pages (Connected Applications): a
 * cookie `<userId>.<expiry>.<hmac>` under a server secret shared by every
 * instance. It names a user only; every page re-reads the user and their
 * memberships from the store, so a deactivated user is out at once.
 */
export class AccountSessions {
  readonly #key: Buffer
  readonly #ttlMs: number

  constructor(key: Buffer, ttlMs = DEFAULT_TTL_MS) {
    this.#key = key
    this.#ttlMs = ttlMs
  }

  issue(userId: string, now = Date.now()): { value: string; maxAgeS: number } {
    const payload = `${userId}.${now + this.#ttlMs}`
    return { value: `${payload}.${this.#sign(payload)}`, maxAgeS: Math.floor(this.#ttlMs / 1000) }
  }

  /** The user id of a valid, unexpired cookie value. */
  verify(value: string | undefined, now = Date.now()): string | undefined {
    if (value === undefined) return undefined
    const parts = value.split('.')
    if (parts.length !== 3) return undefined
    const [userId = '', expiry = '', mac = ''] = parts
    const expected = Buffer.from(this.#sign(`${userId}.${expiry}`))
    const given = Buffer.from(mac)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    return Number(expiry) > now ? userId : undefined
  }

  /** A CSRF token for forms of this session: bound to the cookie, useless without it. */
  csrf(cookieValue: string): string {
    return this.#sign(`csrf:${cookieValue}`)
  }

  checkCsrf(cookieValue: string, token: unknown): boolean {
    if (typeof token !== 'string') return false
    const expected = Buffer.from(this.csrf(cookieValue))
    const given = Buffer.from(token)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }

  #sign(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url')
  }
}
