import type { Kysely, Selectable } from 'kysely'
import type { Database, ProjectDefinitionTable } from '../database.js'
import type { Project } from './project-repository.js'
import { newId } from '../../domain/ids.js'
import { bumpCounter } from '../store-counters.js'

export type StoredProjectDefinition = Selectable<ProjectDefinitionTable>

export interface ApplyOutcome {
  readonly project: Project
  readonly createdProject: boolean
  /** False when the stored definition already had this digest: nothing was written. */
  readonly changed: boolean
}

/** Applied project files, one per project; every method is scoped by org. */
export class ProjectDefinitionRepository {
  readonly #db: Kysely<Database>
  readonly #changed: () => void

  constructor(db: Kysely<Database>, catalogChanged: () => void) {
    this.#db = db
    this.#changed = catalogChanged
  }

  listForOrg(orgId: string): Promise<StoredProjectDefinition[]> {
    return this.#db.selectFrom('project_definitions').selectAll().where('org_id', '=', orgId).execute()
  }

  find(orgId: string, projectId: string): Promise<StoredProjectDefinition | undefined> {
    return this.#db
      .selectFrom('project_definitions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('project_id', '=', projectId)
      .executeTakeFirst()
  }

  /**
   * Creates the project if needed and stores its definition, in one
   * transaction with the catalog counter, so every server process picks up
   * the whole new definition or none of it. The same digest writes nothing.
   */
  async apply(
    orgId: string,
    projectName: string,
    definition: string,
    digest: string,
    appliedBy: string | null,
    now = Date.now(),
  ): Promise<ApplyOutcome> {
    const outcome = await this.#db.transaction().execute(async (trx): Promise<ApplyOutcome> => {
      let project = await trx
        .selectFrom('projects')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('name', '=', projectName)
        .executeTakeFirst()
      let createdProject = false
      if (project === undefined) {
        project = { id: newId('prj'), org_id: orgId, name: projectName, created_at: now }
        await trx.insertInto('projects').values(project).execute()
        createdProject = true
      }
      const stored = await trx
        .selectFrom('project_definitions')
        .select('digest')
        .where('project_id', '=', project.id)
        .executeTakeFirst()
      if (stored?.digest === digest) return { project, createdProject, changed: false }
      const row = { definition, digest, applied_at: now, applied_by: appliedBy }
      if (stored === undefined) {
        await trx
          .insertInto('project_definitions')
          .values({ project_id: project.id, org_id: orgId, ...row })
          .execute()
      } else {
        await trx.updateTable('project_definitions').set(row).where('project_id', '=', project.id).execute()
      }
      await bumpCounter(trx, 'catalog')
      return { project, createdProject, changed: true }
    })
    if (outcome.changed) this.#changed()
    return outcome
  }
}
