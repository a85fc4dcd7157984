import type { Kysely, Selectable } from 'kysely'
import type { Database, ProjectTable } from '../database.js'
import { newId } from '../../domain/ids.js'
import { ConflictError } from '../../domain/errors.js'
import { isUniqueViolation } from '../unique-violation.js'
import { bumpCounter } from '../store-counters.js'

export type Project = Selectable<ProjectTable>

/** Every method is scoped by the org id of the caller: a project of another org does not exist. */
export class ProjectRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  /** `catalogChanged` runs after a change commits: this process drops its cached project lists at once. */
  constructor(db: Kysely<Database>, catalogChanged: () => void) {
    this.#db = db
    this.#changed = catalogChanged
  }

  async create(orgId: string, name: string, now = Date.now()): Promise<Project> {
    const project: Project = { id: newId('prj'), org_id: orgId, name, created_at: now }
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values(project).execute()
        await bumpCounter(trx, 'catalog')
      })
      this.#changed()
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`A project named "${name}" already exists in this organization`)
      throw error
    }
    return project
  }

  list(orgId: string): Promise<Project[]> {
    return this.#db.selectFrom('projects').selectAll().where('org_id', '=', orgId).orderBy('name').execute()
  }

  findByRef(orgId: string, ref: string): Promise<Project | undefined> {
    return this.#db
      .selectFrom('projects')
      .selectAll()
      .where('org_id', '=', orgId)
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst()
  }
}
