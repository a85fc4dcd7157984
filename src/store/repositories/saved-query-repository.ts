import type { Kysely, Selectable } from 'kysely'
import type { Database, SavedQueryTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError, NotFoundError } from '../../domain/errors.js'
import { isUniqueViolation } from '../unique-violation.js'

export type SavedQueryRow = Selectable<SavedQueryTable>

export interface SavedQueryInput {
  readonly name: string
  readonly description: string | null
  readonly mode: SavedQueryTable['mode']
  /** The query as JSON text; the caller validated it. */
  readonly query: string
  readonly createdBy: string | null
}

export interface SaveOptions {
  /** Replace a saved query of the same name; without it, an existing name is a `ConflictError`. */
  readonly replace: boolean
  /**
   * Whether the caller may replace this existing row (read in the same
   * transaction as the write); a row it may not replace is a conflict even with `replace`.
   */
  readonly mayReplace?: (existing: SavedQueryRow) => boolean
}

export interface SaveOutcome {
  readonly row: SavedQueryRow
  readonly replaced: boolean
}

/**
 * Saved queries. Every method is scoped by the caller's org id and project id:
 * a saved query of another project, or of another org, does not exist.
 */
export class SavedQueryRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** The saved queries of `projectIds` (of `orgId` only), by project then name. */
  list(orgId: string, projectIds: readonly string[]): Promise<SavedQueryRow[]> {
    if (projectIds.length === 0) return Promise.resolve([])
    return this.#db
      .selectFrom('saved_queries')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('project_id', 'in', [...projectIds])
      .orderBy('project_id')
      .orderBy('name')
      .execute()
  }

  find(orgId: string, projectId: string, name: string): Promise<SavedQueryRow | undefined> {
    return this.#db
      .selectFrom('saved_queries')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst()
  }

  /**
   * Stores a saved query, or replaces the one of the same name when `replace`
   * allows it; a replaced query keeps its id, creator and creation time.
   */
  async save(
    orgId: string,
    projectId: string,
    input: SavedQueryInput,
    options: SaveOptions,
    now = Date.now(),
  ): Promise<SaveOutcome> {
    const conflict = () => new ConflictError(`Saved query "${input.name}" already exists in this project`)
    try {
      return await this.#db.transaction().execute(async (trx): Promise<SaveOutcome> => {
        // The project must be the org's own: the org id never comes from request input, the project id might.
        const project = await trx
          .selectFrom('projects')
          .select('id')
          .where('org_id', '=', orgId)
          .where('id', '=', projectId)
          .executeTakeFirst()
        if (project === undefined) throw new NotFoundError('Project')
        const existing = await trx
          .selectFrom('saved_queries')
          .selectAll()
          .where('org_id', '=', orgId)
          .where('project_id', '=', projectId)
          .where('name', '=', input.name)
          .executeTakeFirst()
        const fields = { description: input.description, mode: input.mode, query: input.query, updated_at: now }
        if (existing !== undefined) {
          if (!options.replace || !(options.mayReplace?.(existing) ?? true)) throw conflict()
          await trx.updateTable('saved_queries').set(fields).where('id', '=', existing.id).execute()
          return { row: { ...existing, ...fields }, replaced: true }
        }
        const row: SavedQueryRow = {
          id: newId('sq'),
          org_id: orgId,
          project_id: projectId,
          name: input.name,
          created_by: input.createdBy,
          created_at: now,
          ...fields,
        }
        await trx.insertInto('saved_queries').values(row).execute()
        return { row, replaced: false }
      })
    } catch (error) {
      // Two concurrent saves of a new name: the second loses on the unique constraint.
      if (isUniqueViolation(error)) throw conflict()
      throw error
    }
  }

  /** Deletes one saved query; false when the project has none of that name. */
  async delete(orgId: string, projectId: string, name: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('saved_queries')
      .where('org_id', '=', orgId)
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }
}
