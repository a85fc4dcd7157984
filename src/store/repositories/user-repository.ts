import type { Kysely, Selectable, Transaction } from 'kysely'
import type { AccountStatus, Database, MembershipTable, UserTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import type { MemberRole } from '../../domain/principal.js'
import { isUniqueViolation } from '../unique-violation.js'
import { bumpCounter } from '../store-counters.js'

export type User = Selectable<UserTable>

export interface Membership {
  readonly orgId: string
  readonly userId: string
  readonly role: MemberRole
  readonly groups: readonly string[]
  readonly attributes: Readonly<Record<string, unknown>>
  /** This membership's own status; the user's (`User.status`) applies on top. */
  readonly status: AccountStatus
  readonly createdAt: number
}

export interface Member extends Omit<Membership, 'status'> {
  readonly email: string
  readonly name: string | null
  /** Inactive when either the user or this membership is. */
  readonly status: User['status']
}

function toMembership(row: Selectable<MembershipTable>): Membership {
  return {
    orgId: row.org_id,
    userId: row.user_id,
    role: row.role,
    groups: JSON.parse(row.groups) as string[],
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    status: row.status,
    createdAt: row.created_at,
  }
}

function toMember(
  row: Selectable<MembershipTable> & { email: string; name: string | null; user_status: User['status'] },
): Member {
  const membership = toMembership(row)
  return {
    ...membership,
    email: row.email,
    name: row.name,
    status: row.user_status === 'active' ? membership.status : row.user_status,
  }
}

export class UserRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  /** `credentialsChanged` runs after a change that must fail cached credentials commits. */
  constructor(db: Kysely<Database>, credentialsChanged: () => void) {
    this.#db = db
    this.#changed = credentialsChanged
  }

  findByEmail(email: string): Promise<User | undefined> {
    return this.#db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()
  }

  findById(id: string): Promise<User | undefined> {
    return this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /**
   * Creates the user if the email is new, then the membership in `orgId`, in one
   * transaction: either both exist afterwards or neither changed.
   */
  async createMember(
    orgId: string,
    input: { email: string; name?: string; role: MemberRole; groups?: readonly string[]; passwordHash?: string },
    now = Date.now(),
  ): Promise<Member> {
    const email = input.email.toLowerCase()
    return this.#db.transaction().execute(async (trx) => {
      let user = await trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
      if (user === undefined) {
        user = {
          id: newId('usr'),
          email,
          name: input.name ?? null,
          status: 'active',
          password_hash: input.passwordHash ?? null,
          created_at: now,
        }
        await trx.insertInto('users').values(user).execute()
      }
      const row = {
        org_id: orgId,
        user_id: user.id,
        role: input.role,
        groups: JSON.stringify([...new Set(input.groups ?? [])]),
        attributes: '{}',
        status: 'active' as const,
        created_at: now,
      }
      try {
        await trx.insertInto('memberships').values(row).execute()
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`${email} is already a member of this organization`)
        throw error
      }
      return { ...toMembership(row), email: user.email, name: user.name, status: user.status }
    })
  }

  /** Replaces the local-login password hash (the user is found by id, which is global like the email). */
  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.#db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute()
  }

  async membership(orgId: string, userId: string): Promise<Membership | undefined> {
    const row = await this.#db
      .selectFrom('memberships')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return row === undefined ? undefined : toMembership(row)
  }

  /** Every active membership of a user in an active org, with the org's name: the consent page's org picker. */
  async activeMemberships(userId: string): Promise<(Membership & { readonly orgName: string })[]> {
    const rows = await this.#db
      .selectFrom('memberships')
      .innerJoin('orgs', 'orgs.id', 'memberships.org_id')
      .selectAll('memberships')
      .select('orgs.name as org_name')
      .where('memberships.user_id', '=', userId)
      .where('memberships.status', '=', 'active')
      .where('orgs.status', '=', 'active')
      .orderBy('orgs.name')
      .execute()
    return rows.map((row) => ({ ...toMembership(row), orgName: row.org_name }))
  }

  async listMembers(orgId: string): Promise<Member[]> {
    const rows = await this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .selectAll('memberships')
      .select(['users.email', 'users.name', 'users.status as user_status'])
      .where('memberships.org_id', '=', orgId)
      .orderBy('users.email')
      .execute()
    return rows.map(toMember)
  }

  /** A member of `orgId` by email: the CLI's `--user E`. */
  async findMember(orgId: string, email: string): Promise<Member | undefined> {
    return this.#findMember(orgId, 'users.email', email.toLowerCase())
  }

  /** A member of `orgId` by user id: the admin API's `/users/:userId`. */
  async findMemberById(orgId: string, userId: string): Promise<Member | undefined> {
    return this.#findMember(orgId, 'users.id', userId)
  }

  async #findMember(orgId: string, column: 'users.email' | 'users.id', value: string): Promise<Member | undefined> {
    const row = await this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .selectAll('memberships')
      .select(['users.email', 'users.name', 'users.status as user_status'])
      .where('memberships.org_id', '=', orgId)
      .where(column, '=', value)
      .executeTakeFirst()
    return row === undefined ? undefined : toMember(row)
  }

  /** Deactivates or reactivates a member in one organization; their credentials there fail or work again. */
  async setMembershipStatus(orgId: string, userId: string, status: AccountStatus): Promise<boolean> {
    return this.#credentialChange(async (trx) => {
      const result = await trx
        .updateTable('memberships')
        .set({ status })
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    })
  }

  /** Changes a member's role and/or groups in one organization (what their credentials act with). */
  async updateMembership(
    orgId: string,
    userId: string,
    change: { role?: MemberRole; groups?: readonly string[] },
  ): Promise<boolean> {
    if (change.role === undefined && change.groups === undefined) return true
    return this.#credentialChange(async (trx) => {
      const result = await trx
        .updateTable('memberships')
        .set({
          ...(change.role !== undefined && { role: change.role }),
          ...(change.groups !== undefined && { groups: JSON.stringify([...new Set(change.groups)]) }),
        })
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    })
  }

  /** Replaces a member's attributes (what policies and row-level security read). */
  async setAttributes(orgId: string, userId: string, attributes: Readonly<Record<string, unknown>>): Promise<boolean> {
    return this.#credentialChange(async (trx) => {
      const result = await trx
        .updateTable('memberships')
        .set({ attributes: JSON.stringify(attributes) })
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    })
  }

  /**
   * Removes a member from an organization. A user left without any membership
   * is deleted: kept as a tombstone (email freed, name and password erased) so
   * that their credentials answer `Account not found` rather than vanish.
   */
  async removeMember(orgId: string, userId: string): Promise<{ removed: boolean; userDeleted: boolean }> {
    return this.#credentialChange(async (trx) => {
      const result = await trx
        .deleteFrom('memberships')
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (Number(result.numDeletedRows) === 0) return { removed: false, userDeleted: false }
      const others = await trx
        .selectFrom('memberships')
        .select('org_id')
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (others !== undefined) return { removed: true, userDeleted: false }
      await trx
        .updateTable('users')
        .set({ status: 'deleted', email: `deleted+${userId}@invalid`, name: null, password_hash: null })
        .where('id', '=', userId)
        .execute()
      return { removed: true, userDeleted: true }
    })
  }

  /** Runs `change` with the credentials counter bumped in the same transaction, then signals this process. */
  async #credentialChange<T>(change: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const outcome = await this.#db.transaction().execute(async (trx) => {
      const value = await change(trx)
      await bumpCounter(trx, 'credentials')
      return value
    })
    this.#changed()
    return outcome
  }
}
