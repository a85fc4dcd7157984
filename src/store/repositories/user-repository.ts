import type { Kysely, Selectable } from 'kysely'
import type { Database, MembershipTable, UserTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import type { MemberRole } from '../../domain/principal.js'
import { isUniqueViolation } from '../unique-violation.js'

export type User = Selectable<UserTable>

export interface Membership {
  readonly orgId: string
  readonly userId: string
  readonly role: MemberRole
  readonly groups: readonly string[]
  readonly attributes: Readonly<Record<string, unknown>>
  readonly createdAt: number
}

export interface Member extends Membership {
  readonly email: string
  readonly name: string | null
  readonly status: User['status']
}

function toMembership(row: Selectable<MembershipTable>): Membership {
  return {
    orgId: row.org_id,
    userId: row.user_id,
    role: row.role,
    groups: JSON.parse(row.groups) as string[],
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdAt: row.created_at,
  }
}

export class UserRepository {
  readonly #db: Kysely<Database>
  constructor(db: Kysely<Database>) {
    this.#db = db
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

  async listMembers(orgId: string): Promise<Member[]> {
    const rows = await this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .selectAll('memberships')
      .select(['users.email', 'users.name', 'users.status'])
      .where('memberships.org_id', '=', orgId)
      .orderBy('users.email')
      .execute()
    return rows.map((row) => ({ ...toMembership(row), email: row.email, name: row.name, status: row.status }))
  }

  /** A member of `orgId` by email: the CLI's `--user E`. */
  async findMember(orgId: string, email: string): Promise<Member | undefined> {
    const members = await this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .selectAll('memberships')
      .select(['users.email', 'users.name', 'users.status'])
      .where('memberships.org_id', '=', orgId)
      .where('users.email', '=', email.toLowerCase())
      .execute()
    const row = members[0]
    return row === undefined
      ? undefined
      : { ...toMembership(row), email: row.email, name: row.name, status: row.status }
  }
}
