import type { ConnectionDefinition, ProjectFile } from '../../config/project-file-schema.js'

/** A project with its applied definition, as tools see it. */
export interface LoadedProject {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly definition: ProjectFile
  readonly digest: string
}

export function findConnection(project: LoadedProject, name: string): ConnectionDefinition | undefined {
  return project.definition.connections.find((c) => c.name === name)
}
