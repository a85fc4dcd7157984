import type { AuditSink } from '../../domain/audit-sink.js'
import type { Store } from '../../store/store.js'
import { hashPassword, verifyPassword } from './password-hash.js'
import { LoginThrottle } from './login-throttle.js'

export type SignInResult =
  | { readonly ok: true; readonly userId: string }
  | { readonly ok: false; readonly status: 401 | 429; readonly message: string }

export interface SignInSource {
  readonly ip?: string
  readonly userAgent?: string
  readonly clientId?: string
}

/** One message for every wrong-credential case: the page never says whether an account exists. */
const WRONG = 'The email or password is not correct.'

/**
 * Sign-in with a local account (email + scrypt password). Unknown accounts
 * cost the same scrypt work as known ones; failures are throttled per account
 * and per source before any password is checked; each attempt is audited
 * with its reason (never the password).
 */
export class LocalLogin {
  readonly #store: Store
  readonly #audit: AuditSink
  readonly #throttle: LoginThrottle
  #dummyHash: Promise<string> | undefined

  constructor(store: Store, audit: AuditSink, throttle = new LoginThrottle()) {
    this.#store = store
    this.#audit = audit
    this.#throttle = throttle
  }

  async signIn(email: string, password: string, source: SignInSource): Promise<SignInResult> {
    const account = email.trim().toLowerCase()
    const from = source.ip ?? 'unknown'
    const context = {
      ...(source.ip !== undefined && { ip: source.ip }),
      ...(source.userAgent !== undefined && { user_agent: source.userAgent }),
      ...(source.clientId !== undefined && { client_id: source.clientId }),
    }
    const fail = (reason: string, status: 401 | 429, message: string): SignInResult => {
      this.#audit.record({ type: 'auth.failed', data: { reason, method: 'password', email: account, ...context } })
      return { ok: false, status, message }
    }

    const retryAfter = this.#throttle.retryAfter(from, account)
    if (retryAfter > 0) {
      const minutes = Math.ceil(retryAfter / 60)
      return fail(
        'rate_limited',
        429,
        `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      )
    }
    const user = account === '' ? undefined : await this.#store.users.findByEmail(account)
    this.#dummyHash ??= hashPassword('gatehouse-timing-equaliser')
    const matches = await verifyPassword(password, user?.password_hash ?? (await this.#dummyHash))
    if (user === undefined || user.password_hash === null || !matches) {
      this.#throttle.failed(from, account)
      return fail(user === undefined ? 'unknown_account' : 'wrong_password', 401, WRONG)
    }
    if (user.status !== 'active') {
      this.#throttle.failed(from, account)
      return fail('AUTH_ACCOUNT_INACTIVE', 401, 'This account is inactive. Ask an administrator of your organization.')
    }
    const memberships = await this.#store.users.activeMemberships(user.id)
    if (memberships.length === 0) {
      return fail('AUTH_NO_ORGANIZATION', 401, 'This account is not an active member of any organization.')
    }
    this.#throttle.succeeded(account)
    this.#audit.record({ type: 'auth.login', data: { user_id: user.id, method: 'password', ...context } })
    return { ok: true, userId: user.id }
  }
}
