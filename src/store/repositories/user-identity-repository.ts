import type { Kysely, Selectable } from 'kysely'
import type { Database, UserIdentityTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import { isUniqueViolation } from '../unique-violation.js'

export type UserIdentity = Selectable<UserIdentityTable>

/** A new user signing up through an identity provider, with their one membership. */
export interface ProvisionInput {
  readonly provider: string
  readonly subject: string
  /** Verified by the provider; the caller checks that. */
  readonly email: string
  readonly name?: string
  readonly orgId: string
  /** Never `owner`: an identity provider cannot make one. */
  readonly role: 'admin' | 'member'
  readonly groups: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
}

export type ProvisionOutcome =
  | { readonly outcome: 'created'; readonly userId: string }
  /** Another sign-in of the same identity won a race; sign in as that user. */
  | { readonly outcome: 'already_linked'; readonly userId: string }
  /** A user with this email exists; linking to it needs an administrator. */
  | { readonly outcome: 'email_taken' }

/**
 * Upstream identities (SPEC §4.1) and the sealed tokens of each. Server-wide,
 * like users: an identity is found by (provider, subject) only, never by
 * email, so a provider that lets anyone claim any address cannot reach an
 * existing account.
 */
export class UserIdentityRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  find(provider: string, subject: string): Promise<UserIdentity | undefined> {
    return this.#db
      .selectFrom('user_identities')
      .selectAll()
      .where('provider', '=', provider)
      .where('subject', '=', subject)
      .executeTakeFirst()
  }

  listForUser(userId: string): Promise<UserIdentity[]> {
    return this.#db
      .selectFrom('user_identities')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('provider')
      .orderBy('subject')
      .execute()
  }

  /** Links an identity to an existing user (an administrator's decision); fails if the identity is linked already. */
  async link(provider: string, subject: string, userId: string, email: string | null, now = Date.now()): Promise<void> {
    try {
      await this.#db
        .insertInto('user_identities')
        .values({ provider, subject, user_id: userId, email, created_at: now, last_login_at: null })
        .execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`This ${provider} identity is already linked to a user`)
      throw error
    }
  }

  async recordLogin(provider: string, subject: string, email: string | null, now = Date.now()): Promise<void> {
    await this.#db
      .updateTable('user_identities')
      .set({ email, last_login_at: now })
      .where('provider', '=', provider)
      .where('subject', '=', subject)
      .execute()
  }

  /**
   * Creates the user, their membership and the link in one transaction.
   * `UserRepository.createMember` is not used: it adopts an existing user with
   * the same email, which here would be linking by email. The unique email
   * column makes a concurrent sign-up of the same address fail instead.
   */
  async provision(input: ProvisionInput, now = Date.now()): Promise<ProvisionOutcome> {
    const email = input.email.toLowerCase()
    try {
      return await this.#db.transaction().execute(async (trx): Promise<ProvisionOutcome> => {
        const linked = await trx
          .selectFrom('user_identities')
          .select('user_id')
          .where('provider', '=', input.provider)
          .where('subject', '=', input.subject)
          .executeTakeFirst()
        if (linked !== undefined) return { outcome: 'already_linked', userId: linked.user_id }
        const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
        if (existing !== undefined) return { outcome: 'email_taken' }
        const userId = newId('usr')
        await trx
          .insertInto('users')
          .values({
            id: userId,
            email,
            name: input.name ?? null,
            status: 'active',
            password_hash: null,
            created_at: now,
          })
          .execute()
        await trx
          .insertInto('memberships')
          .values({
            org_id: input.orgId,
            user_id: userId,
            role: input.role,
            groups: JSON.stringify([...new Set(input.groups)]),
            attributes: JSON.stringify(input.attributes),
            status: 'active',
            created_at: now,
          })
          .execute()
        await trx
          .insertInto('user_identities')
          .values({
            provider: input.provider,
            subject: input.subject,
            user_id: userId,
            email,
            created_at: now,
            last_login_at: now,
          })
          .execute()
        return { outcome: 'created', userId }
      })
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      const linked = await this.find(input.provider, input.subject)
      return linked === undefined ? { outcome: 'email_taken' } : { outcome: 'already_linked', userId: linked.user_id }
    }
  }

  /** Stores or replaces the sealed tokens of a user's sign-in with `provider`. */
  async saveExternalToken(userId: string, provider: string, sealed: string, now = Date.now()): Promise<void> {
    await this.#db
      .insertInto('user_external_tokens')
      .values({ user_id: userId, provider, sealed, updated_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'provider']).doUpdateSet({ sealed, updated_at: now }))
      .execute()
  }

  async findExternalToken(userId: string, provider: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('user_external_tokens')
      .select('sealed')
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .executeTakeFirst()
    return row?.sealed
  }

  /** The user's most recently saved upstream token, whichever provider it came from. */
  async findLatestExternalToken(userId: string): Promise<{ provider: string; sealed: string } | undefined> {
    return this.#db
      .selectFrom('user_external_tokens')
      .select(['provider', 'sealed'])
      .where('user_id', '=', userId)
      .orderBy('updated_at', 'desc')
      .orderBy('provider')
      .executeTakeFirst()
  }
}
