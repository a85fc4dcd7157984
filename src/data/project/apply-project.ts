import { hash } from 'node:crypto'
import type { ProjectFile } from '../../config/project-file-schema.js'
import type { Store } from '../../store/store.js'
import type { ApplyOutcome } from '../../store/repositories/project-definition-repository.js'
import type { OpenEngineOptions } from '../open-engine.js'
import { checkProjectCatalog } from './check-project-catalog.js'

export interface ApplyProjectOptions extends OpenEngineOptions {
  /** Names the file in errors. */
  readonly file: string
  readonly appliedBy: string | null
}

export interface AppliedProject extends ApplyOutcome {
  readonly digest: string
}

/**
 * Checks a validated project file against its real connections, then stores
 * it. Nothing is written unless every check passes; applying the same file
 * again writes nothing (same digest).
 */
export async function applyProject(
  store: Store,
  orgId: string,
  project: ProjectFile,
  options: ApplyProjectOptions,
): Promise<AppliedProject> {
  await checkProjectCatalog(project, options.file, options)
  const definition = JSON.stringify(project)
  const digest = hash('sha256', definition)
  const outcome = await store.projectDefinitions.apply(orgId, project.project, definition, digest, options.appliedBy)
  return { ...outcome, digest }
}
