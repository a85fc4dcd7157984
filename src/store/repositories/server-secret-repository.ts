import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../database.js'

/**
 * Random secrets shared by every server instance (SPEC §7: nothing depends on
 * which instance served a request). Created on first use; when several
 * instances race, the first insert wins and all read it.
 */
export class ServerSecretRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** The secret called `name`, 32 random bytes, as a Buffer. */
  async get(name: string, now = Date.now()): Promise<Buffer> {
    const existing = await this.#read(name)
    if (existing !== undefined) return existing
    await this.#db
      .insertInto('server_secrets')
      .values({ name, value: randomBytes(32).toString('base64url'), created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
    const created = await this.#read(name)
    if (created === undefined) throw new Error(`server secret ${name} could not be stored`)
    return created
  }

  async #read(name: string): Promise<Buffer | undefined> {
    const row = await this.#db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirst()
    return row === undefined ? undefined : Buffer.from(row.value, 'base64url')
  }
}
