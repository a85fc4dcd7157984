import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, ProjectSecretTable } from '../database.js'
import { bumpCounter } from '../store-counters.js'

export type ProjectSecretRow = Selectable<ProjectSecretTable>

/**
 * Project secret rows. A lookup by id serves minting (the secret names its
 * id); listings are scoped by org and project. Revocation and rotation bump
 * the credentials counter in the same transaction: every token minted with the
 * secret carries its id, so every server drops those tokens from its cache
 * within the revocation bound (SPEC §7).
 */
export class ProjectSecretRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  /** `credentialsChanged` runs after a revocation commits: this process drops cached credentials at once. */
  constructor(db: Kysely<Database>, credentialsChanged: () => void) {
    this.#db = db
    this.#changed = credentialsChanged
  }

  async insert(row: ProjectSecretRow): Promise<void> {
    await this.#db.insertInto('project_secrets').values(row).execute()
  }

  findById(id: string): Promise<ProjectSecretRow | undefined> {
    return this.#db.selectFrom('project_secrets').selectAll().where('id', '=', id).executeTakeFirst()
  }

  list(orgId: string, projectId: string): Promise<ProjectSecretRow[]> {
    return this.#db
      .selectFrom('project_secrets')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('project_id', '=', projectId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  }

  /**
   * Revokes for good (the row stays listed, `revoked_at` is never cleared).
   * `orgId` null is the operator CLI. Returns the row and whether this call
   * revoked it, or undefined when no secret of that org has that id.
   */
  async revoke(
    orgId: string | null,
    id: string,
    now = Date.now(),
  ): Promise<{ row: ProjectSecretRow; changed: boolean } | undefined> {
    const result = await this.#db.transaction().execute(async (trx) => {
      const changed = await revokeIn(trx, orgId, id, now)
      const row = await findIn(trx, orgId, id)
      return row === undefined ? undefined : { row, changed }
    })
    if (result?.changed === true) this.#changed()
    return result
  }

  /**
   * Rotation: `replacement` is inserted and `id` revoked in one transaction, so
   * there is never a moment with neither or both. Undefined when `id` is not a
   * live secret of that org (a revoked secret is not rotated).
   */
  async rotate(
    orgId: string | null,
    id: string,
    replacement: (old: ProjectSecretRow) => ProjectSecretRow,
    now = Date.now(),
  ): Promise<{ old: ProjectSecretRow; created: ProjectSecretRow } | undefined> {
    const result = await this.#db.transaction().execute(async (trx) => {
      const old = await findIn(trx, orgId, id)
      if (old === undefined || old.revoked_at !== null) return undefined
      // Only one of two concurrent rotations revokes the old secret; the other inserts nothing.
      if (!(await revokeIn(trx, orgId, id, now))) return undefined
      const created = replacement(old)
      await trx.insertInto('project_secrets').values(created).execute()
      return { old: { ...old, revoked_at: now }, created }
    })
    if (result !== undefined) this.#changed()
    return result
  }
}

async function revokeIn(trx: Transaction<Database>, orgId: string | null, id: string, now: number): Promise<boolean> {
  let update = trx
    .updateTable('project_secrets')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
  if (orgId !== null) update = update.where('org_id', '=', orgId)
  const { numUpdatedRows } = await update.executeTakeFirstOrThrow()
  if (numUpdatedRows === 0n) return false
  await bumpCounter(trx, 'credentials')
  return true
}

function findIn(trx: Transaction<Database>, orgId: string | null, id: string): Promise<ProjectSecretRow | undefined> {
  let query = trx.selectFrom('project_secrets').selectAll().where('id', '=', id)
  if (orgId !== null) query = query.where('org_id', '=', orgId)
  return query.executeTakeFirst()
}
