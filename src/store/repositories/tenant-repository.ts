import type { Kysely, Selectable } from 'kysely'
import type { Database, TenantTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import { isUniqueViolation } from '../unique-violation.js'

export interface Tenant {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly attributes: Readonly<Record<string, unknown>>
  readonly createdAt: number
}

function toTenant(row: Selectable<TenantTable>): Tenant {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdAt: Number(row.created_at),
  }
}

/** The end customers of an organization that embeds Gatehouse; every method is scoped by org. */
export class TenantRepository {
  readonly #db: Kysely<Database>
  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async create(
    orgId: string,
    input: { name: string; attributes?: Readonly<Record<string, unknown>> },
    now = Date.now(),
  ): Promise<Tenant> {
    const row = {
      id: newId('ten'),
      org_id: orgId,
      name: input.name,
      attributes: JSON.stringify(input.attributes ?? {}),
      created_at: now,
    }
    try {
      await this.#db.insertInto('tenants').values(row).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A tenant named "${input.name}" already exists`)
      throw error
    }
    return toTenant(row)
  }

  async list(orgId: string): Promise<Tenant[]> {
    const rows = await this.#db.selectFrom('tenants').selectAll().where('org_id', '=', orgId).orderBy('name').execute()
    return rows.map(toTenant)
  }

  /** A tenant of `orgId` by id or name; a tenant of another org does not exist. */
  async findByRef(orgId: string, ref: string): Promise<Tenant | undefined> {
    const row = await this.#db
      .selectFrom('tenants')
      .selectAll()
      .where('org_id', '=', orgId)
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst()
    return row === undefined ? undefined : toTenant(row)
  }
}
