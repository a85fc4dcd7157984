import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ProviderConfig, ProviderType } from '../../config/config-schema.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { GatehouseError } from '../../domain/errors.js'
import type { Store } from '../../store/store.js'
import type { ExternalTokenVault } from './external-token-vault.js'
import { linkIdentity } from './link-identity.js'
import { UpstreamLogin } from './upstream-login.js'
import { UpstreamLoginError } from './upstream-login-error.js'

/** How long the provider may take: the user may have to sign in there, or register a second factor. */
const PENDING_TTL_MS = 10 * 60_000
/** The completed sign-in is taken back at once by the browser's next request. */
const COMPLETED_TTL_MS = 2 * 60_000

const LABELS: Readonly<Record<ProviderType, string | undefined>> = {
  github: 'GitHub',
  google: 'Google',
  atlassian: 'Atlassian',
  salesforce: 'Salesforce',
  keycloak: 'Keycloak',
  oidc: undefined,
}

/** The authorization request a sign-in serves: its interaction, as this browser's interaction cookie proved it. */
export interface InteractionRef {
  readonly uid: string
  readonly clientId: string
}

export interface SignInSource {
  readonly ip?: string
  readonly userAgent?: string
}

export interface UpstreamSignInOptions {
  readonly store: Store
  readonly tokens: ExternalTokenVault
  readonly audit: AuditSink
  /** The redirect URI registered at the provider: `${public_url}/login/${providerId}/callback`. */
  readonly callbackUrl: (providerId: string) => string
  readonly now?: () => number
}

/** The user an upstream sign-in signed in, once the browser is back on its authorization request. */
export interface CompletedSignIn {
  readonly userId: string
  readonly provider: string
}

interface PendingPayload {
  readonly codeVerifier: string
  readonly nonce?: string
  readonly clientId: string
}

interface CompletedPayload {
  readonly userId: string
  readonly created: boolean
  readonly orgId?: string
  readonly clientId: string
}

/** What an audit record of one attempt says besides its outcome; filled in as the attempt learns more. */
interface Attempt {
  provider: string
  clientId?: string
  userId?: string
  created?: boolean
  orgId?: string
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Sign-in to an authorization request through an upstream identity provider
 * (SPEC §4.1), in three steps that may each reach another server instance:
 *
 * 1. `begin`: the login page's button. The PKCE verifier and nonce are kept in
 *    the store under a hash of `state`, with a hash of the browser's binding
 *    cookie, and the browser goes to the provider.
 * 2. `complete`: the provider's callback. Its path is not the interaction's, so
 *    oidc-provider's interaction cookie is not sent; the binding cookie is what
 *    proves this browser started the sign-in (login CSRF, RFC 6749 §10.12).
 *    The identity is linked (or provisioned) and the upstream tokens sealed;
 *    the result waits in the store under a one-time id.
 * 3. `redeem`: the browser, back under the interaction's path with its
 *    interaction cookie, takes the result of its own interaction.
 *
 * Each `state` and each one-time id is used once, and only by the browser
 * (binding cookie) or interaction (interaction cookie) it belongs to: a
 * foreign browser is refused without using it up.
 * Every refusal is an UpstreamLoginError, audited as `auth.failed`; the
 * sign-in is audited as `auth.login` when the interaction takes it.
 */
export class UpstreamSignIn {
  readonly #login: UpstreamLogin
  readonly #configs: ReadonlyMap<string, ProviderConfig>
  readonly #store: Store
  readonly #tokens: ExternalTokenVault
  readonly #audit: AuditSink
  readonly #now: () => number

  /** Throws CONFIG_INVALID for a provider whose URLs may not be used. */
  constructor(providers: readonly ProviderConfig[], options: UpstreamSignInOptions) {
    for (const p of providers) {
      // The login page's button is `/login/<uid>/<id>`: an id `callback` would be taken for the callback path.
      if (p.id === 'callback') {
        throw new GatehouseError(
          'CONFIG_INVALID',
          'auth.providers[callback].id: "callback" is reserved; choose another id',
        )
      }
    }
    this.#now = options.now ?? Date.now
    this.#login = new UpstreamLogin(providers, { callbackUrl: options.callbackUrl, now: this.#now })
    this.#configs = new Map(providers.map((p) => [p.id, p]))
    this.#store = options.store
    this.#tokens = options.tokens
    this.#audit = options.audit
  }

  /** The providers for the login page, in config order: the preset's name, or the id of a generic OIDC provider. */
  get providers(): readonly { readonly id: string; readonly label: string }[] {
    return [...this.#configs.values()].map((p) => ({ id: p.id, label: LABELS[p.type] ?? p.id }))
  }

  /** The URL of the provider's authorization endpoint to send the browser to. */
  async begin(
    providerId: string,
    interaction: InteractionRef | undefined,
    browser: string,
    source: SignInSource,
  ): Promise<string> {
    const attempt: Attempt = { provider: providerId }
    return this.#audited(attempt, source, async () => {
      if (interaction === undefined) throw new UpstreamLoginError(providerId, 'interaction_expired')
      attempt.clientId = interaction.clientId
      const { authorizationUrl, pending } = await this.#login.start(providerId)
      const payload: PendingPayload = {
        codeVerifier: pending.codeVerifier,
        ...(pending.nonce !== undefined && { nonce: pending.nonce }),
        clientId: interaction.clientId,
      }
      await this.#store.upstreamLogins.insert({
        stage: 'pending',
        id_hash: digest(pending.state),
        provider: providerId,
        interaction_uid: interaction.uid,
        browser_hash: digest(browser),
        payload: JSON.stringify(payload),
        expires_at: this.#now() + PENDING_TTL_MS,
      })
      return authorizationUrl
    })
  }

  /**
   * Finishes the provider's side from the callback URL: the interaction to
   * return to and the one-time id of the result, for `redeem`.
   */
  async complete(
    providerId: string,
    callback: URL,
    browser: string | undefined,
    source: SignInSource,
  ): Promise<{ readonly interactionUid: string; readonly completion: string }> {
    const attempt: Attempt = { provider: providerId }
    return this.#audited(attempt, source, async () => {
      const config = this.#configs.get(providerId)
      if (config === undefined) throw new UpstreamLoginError(providerId, 'provider_unknown')
      const mismatch = (detail: string) => new UpstreamLoginError(providerId, 'state_mismatch', { detail })
      const state = callback.searchParams.get('state')
      if (state === null) throw mismatch('the callback has no state')
      const idHash = digest(state)
      const row = await this.#store.upstreamLogins.find('pending', idHash)
      const now = this.#now()
      if (row === undefined) throw mismatch('the callback state is unknown or already used')
      if (row.provider !== providerId) throw mismatch(`the callback state is of provider ${row.provider}`)
      if (row.expires_at <= now) throw mismatch('the callback state has expired')
      const pending = JSON.parse(row.payload) as PendingPayload
      attempt.clientId = pending.clientId
      // Checked before the state is used up, so a callback URL opened in another browser cannot cancel the sign-in.
      if (browser === undefined || row.browser_hash === null || !sameDigest(digest(browser), row.browser_hash)) {
        throw mismatch('the callback came from a browser other than the one that started the sign-in')
      }
      // Used once: of two callbacks with this state (a replay racing the original), one takes it.
      if ((await this.#store.upstreamLogins.take('pending', idHash)) === undefined) {
        throw mismatch('the callback state is already used')
      }
      const identity = await this.#login.finish(providerId, callback, {
        providerId,
        state,
        codeVerifier: pending.codeVerifier,
        ...(pending.nonce !== undefined && { nonce: pending.nonce }),
      })
      const linked = await linkIdentity({ store: this.#store, tokens: this.#tokens }, config, identity, now)
      Object.assign(attempt, {
        userId: linked.userId,
        created: linked.created,
        ...(linked.orgId !== undefined && { orgId: linked.orgId }),
      })
      if (!linked.created && (await this.#store.users.activeMemberships(linked.userId)).length === 0) {
        // As for a password sign-in: no organization to consent for, so no point going on.
        throw new UpstreamLoginError(providerId, 'account_no_organization')
      }
      const completion = randomBytes(32).toString('base64url')
      const payload: CompletedPayload = {
        userId: linked.userId,
        created: linked.created,
        ...(linked.orgId !== undefined && { orgId: linked.orgId }),
        clientId: pending.clientId,
      }
      await this.#store.upstreamLogins.insert({
        stage: 'completed',
        id_hash: digest(completion),
        provider: providerId,
        interaction_uid: row.interaction_uid,
        browser_hash: null,
        payload: JSON.stringify(payload),
        expires_at: now + COMPLETED_TTL_MS,
      })
      return { interactionUid: row.interaction_uid, completion }
    })
  }

  /**
   * The sign-in a `complete` left for this interaction. `interaction` is the
   * one this browser's interaction cookie names: a result is handed only to
   * the interaction it was started from, never to a user id from the URL.
   */
  async redeem(
    interaction: InteractionRef | undefined,
    completion: string,
    source: SignInSource,
  ): Promise<CompletedSignIn> {
    // The provider is not known until the row is read; an unknown one is not named.
    const attempt: Attempt = { provider: '' }
    return this.#audited(attempt, source, async () => {
      const expired = (detail: string) => new UpstreamLoginError(attempt.provider, 'interaction_expired', { detail })
      const idHash = digest(completion)
      const row = await this.#store.upstreamLogins.find('completed', idHash)
      if (row === undefined) throw expired('the completion is unknown or already used')
      const done = JSON.parse(row.payload) as CompletedPayload
      Object.assign(attempt, {
        provider: row.provider,
        clientId: done.clientId,
        userId: done.userId,
        created: done.created,
        ...(done.orgId !== undefined && { orgId: done.orgId }),
      })
      if (row.expires_at <= this.#now()) throw expired('the completion has expired')
      // Checked before the completion is used up, so another browser cannot cancel it either.
      if (interaction === undefined || interaction.uid !== row.interaction_uid) {
        throw expired('the browser does not hold the interaction the sign-in was started from')
      }
      if ((await this.#store.upstreamLogins.take('completed', idHash)) === undefined) {
        throw expired('the completion is already used')
      }
      this.#audit.record({
        type: 'auth.login',
        ...(done.orgId !== undefined && { orgId: done.orgId }),
        data: {
          user_id: done.userId,
          method: 'upstream',
          provider: row.provider,
          client_id: interaction.clientId,
          ...(done.created && { created: true }),
          ...sourceFields(source),
        },
      })
      return { userId: done.userId, provider: row.provider }
    })
  }

  async #audited<T>(attempt: Attempt, source: SignInSource, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      if (error instanceof UpstreamLoginError) {
        this.#audit.record({
          type: 'auth.failed',
          ...(attempt.orgId !== undefined && { orgId: attempt.orgId }),
          data: {
            reason: error.reason,
            method: 'upstream',
            // From the request path when no provider has this id: bounded, never trusted.
            provider: attempt.provider.slice(0, 64),
            ...(error.detail !== undefined && { detail: error.detail }),
            ...(attempt.clientId !== undefined && { client_id: attempt.clientId }),
            ...(attempt.userId !== undefined && { user_id: attempt.userId }),
            ...(attempt.created === true && { created: true }),
            ...sourceFields(source),
          },
        })
      }
      throw error
    }
  }
}

function sourceFields(source: SignInSource): { ip?: string; user_agent?: string } {
  return {
    ...(source.ip !== undefined && { ip: source.ip }),
    ...(source.userAgent !== undefined && { user_agent: source.userAgent }),
  }
}
