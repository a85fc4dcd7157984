import type { Kysely, Selectable } from 'kysely'
import type { AccountStatus, Database, OrgTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import { isUniqueViolation } from '../unique-violation.js'
import { bumpCounter } from '../store-counters.js'

export type Org = Selectable<OrgTable>

export class OrgRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  /** `changed` runs after a change that must fail cached credentials and cached catalogs commits. */
  constructor(db: Kysely<Database>, changed: () => void) {
    this.#db = db
    this.#changed = changed
  }

  async create(name: string, now = Date.now()): Promise<Org> {
    const org: Org = { id: newId('org'), name, status: 'active', created_at: now }
    try {
      await this.#db.insertInto('orgs').values(org).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`An organization named "${name}" already exists`)
      throw error
    }
    return org
  }

  /** Organizations that exist (deleted ones are tombstones, never listed). */
  list(): Promise<Org[]> {
    return this.#db
      .selectFrom('orgs')
      .selectAll()
      .where('status', '!=', 'deleted')
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  }

  /** An org by id or by name: the CLI accepts either. A deleted org is not found. */
  findByRef(ref: string): Promise<Org | undefined> {
    return this.#db
      .selectFrom('orgs')
      .selectAll()
      .where('status', '!=', 'deleted')
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst()
  }

  /** Deactivates or reactivates an organization: every credential in it fails (or works again). */
  async setStatus(id: string, status: AccountStatus): Promise<boolean> {
    const updated = await this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('orgs')
        .set({ status })
        .where('id', '=', id)
        .where('status', '!=', 'deleted')
        .executeTakeFirst()
      await bumpCounter(trx, 'credentials')
      return Number(result.numUpdatedRows) > 0
    })
    this.#changed()
    return updated
  }

  /**
   * Deletes an organization's data (projects and their definitions, tenants,
   * memberships) and keeps the org as a tombstone with its name freed, so that
   * its credentials answer `Account not found`. Users left without any
   * membership become tombstones too.
   */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.#db.transaction().execute(async (trx) => {
      const org = await trx
        .selectFrom('orgs')
        .select('id')
        .where('id', '=', id)
        .where('status', '!=', 'deleted')
        .executeTakeFirst()
      if (org === undefined) return false
      const members = await trx.selectFrom('memberships').select('user_id').where('org_id', '=', id).execute()
      await trx.deleteFrom('memberships').where('org_id', '=', id).execute()
      await trx.deleteFrom('tenants').where('org_id', '=', id).execute()
      await trx.deleteFrom('projects').where('org_id', '=', id).execute()
      for (const { user_id } of members) {
        const other = await trx
          .selectFrom('memberships')
          .select('org_id')
          .where('user_id', '=', user_id)
          .executeTakeFirst()
        if (other !== undefined) continue
        await trx
          .updateTable('users')
          .set({ status: 'deleted', email: `deleted+${user_id}@invalid`, name: null, password_hash: null })
          .where('id', '=', user_id)
          .execute()
      }
      await trx
        .updateTable('orgs')
        .set({ status: 'deleted', name: `deleted+${id}` })
        .where('id', '=', id)
        .execute()
      await bumpCounter(trx, 'credentials')
      await bumpCounter(trx, 'catalog')
      return true
    })
    this.#changed()
    return deleted
  }

  findById(id: string): Promise<Org | undefined> {
    return this.#db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst()
  }
}
