import type { UserIdentityRepository } from '../../store/repositories/user-identity-repository.js'
import type { TokenSealer } from './token-sealer.js'
import type { UpstreamTokens } from './upstream-identity.js'

/** The associated data a sealed token is bound to: it opens only on its own user's row for its own provider. */
function sealingContext(userId: string, provider: string): string {
  return `user_external_tokens\0${userId}\0${provider}`
}

/**
 * The upstream tokens of each user and provider, sealed at rest (SPEC §4.1):
 * replaced at every sign-in, read back for `get_user_external_token()`.
 */
export class ExternalTokenVault {
  readonly #identities: UserIdentityRepository
  readonly #sealer: TokenSealer

  constructor(identities: UserIdentityRepository, sealer: TokenSealer) {
    this.#identities = identities
    this.#sealer = sealer
  }

  async save(userId: string, provider: string, tokens: UpstreamTokens, now = Date.now()): Promise<void> {
    const plain: UpstreamTokens = {
      accessToken: tokens.accessToken,
      ...(tokens.refreshToken !== undefined && { refreshToken: tokens.refreshToken }),
      ...(tokens.expiresAt !== undefined && { expiresAt: tokens.expiresAt }),
      ...(tokens.scope !== undefined && { scope: tokens.scope }),
    }
    const sealed = this.#sealer.seal(JSON.stringify(plain), sealingContext(userId, provider))
    await this.#identities.saveExternalToken(userId, provider, sealed, now)
  }

  /** The user's latest tokens from `provider`, or undefined when they never signed in with it. */
  async externalTokenFor(userId: string, provider: string): Promise<UpstreamTokens | undefined> {
    const sealed = await this.#identities.findExternalToken(userId, provider)
    if (sealed === undefined) return undefined
    return JSON.parse(this.#sealer.unseal(sealed, sealingContext(userId, provider))) as UpstreamTokens
  }

  /**
   * The access token of the user's latest upstream sign-in, for
   * `get_user_external_token()` in custom tools (SPEC §5); undefined when the
   * user never signed in through a provider.
   */
  async latestAccessToken(userId: string): Promise<string | undefined> {
    const latest = await this.#identities.findLatestExternalToken(userId)
    if (latest === undefined) return undefined
    const tokens = JSON.parse(
      this.#sealer.unseal(latest.sealed, sealingContext(userId, latest.provider)),
    ) as UpstreamTokens
    return tokens.accessToken
  }
}
