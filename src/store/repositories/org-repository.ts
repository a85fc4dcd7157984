import type { Kysely, Selectable } from 'kysely'
import type { Database, OrgTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import { isUniqueViolation } from '../unique-violation.js'

export type Org = Selectable<OrgTable>

export class OrgRepository {
  readonly #db: Kysely<Database>
  constructor(db: Kysely<Database>) {
    this.#db = db
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

  list(): Promise<Org[]> {
    return this.#db.selectFrom('orgs').selectAll().orderBy('created_at').orderBy('id').execute()
  }

  /** An org by id or by name: the CLI accepts either. */
  findByRef(ref: string): Promise<Org | undefined> {
    return this.#db
      .selectFrom('orgs')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst()
  }

  findById(id: string): Promise<Org | undefined> {
    return this.#db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst()
  }
}
