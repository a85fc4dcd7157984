import { z } from 'zod'
import type { Principal } from '../domain/principal.js'
import { AuthorizationError } from '../domain/errors.js'
import type { ConnectionDefinition, ProjectFile } from '../config/project-file-schema.js'
import type { DataPlane } from '../data/data-plane.js'
import type { LoadedProject } from '../data/project/loaded-project.js'
import { visibleConnections } from '../authz/data-access.js'
import type { ToolDefinition } from './tool-definition.js'
import { customTool } from './tools/custom-tool.js'

/** A tool as `tools/list` shows it. */
export interface ListedTool {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly inputSchema: Record<string, unknown>
  readonly annotations?: Record<string, unknown>
}

/**
 * The custom SQL tools a principal can call: those of its projects whose
 * connection it can see. Built once per applied definition (a definition is
 * replaced, never mutated, when the catalog changes). When two of a
 * principal's projects declare the same name, the first project by name wins.
 */
export class CustomTools {
  readonly #data: DataPlane
  readonly #built = new WeakMap<LoadedProject, readonly ToolDefinition[]>()
  readonly #listed = new WeakMap<ToolDefinition, ListedTool>()

  constructor(data: DataPlane) {
    this.#data = data
  }

  async forPrincipal(principal: Principal): Promise<ReadonlyMap<string, ToolDefinition>> {
    const out = new Map<string, ToolDefinition>()
    if (principal.projectIds.length === 0) return out
    for (const project of await this.#data.projects(principal.orgId, principal.projectIds)) {
      if (project.definition.tools.length === 0) continue
      const visible = new Set(listableConnections(principal, project.definition).map((c) => c.name))
      const built = this.#build(project)
      project.definition.tools.forEach((definition, i) => {
        const tool = built[i]
        if (tool !== undefined && visible.has(definition.connection) && !out.has(tool.name)) out.set(tool.name, tool)
      })
    }
    return out
  }

  /** `tools/list` entries for `tools`, in the form the SDK lists its own. */
  listed(tools: Iterable<ToolDefinition>): ListedTool[] {
    return [...tools].map((tool) => {
      let listed = this.#listed.get(tool)
      if (listed === undefined) {
        listed = {
          name: tool.name,
          title: tool.title,
          description: tool.description,
          inputSchema: z.toJSONSchema(tool.input, { io: 'input' }) as Record<string, unknown>,
          ...(tool.annotations !== undefined && { annotations: tool.annotations }),
        }
        this.#listed.set(tool, listed)
      }
      return listed
    })
  }

  #build(project: LoadedProject): readonly ToolDefinition[] {
    let built = this.#built.get(project)
    if (built === undefined) {
      built = project.definition.tools.map((t) => customTool(project, t))
      this.#built.set(project, built)
    }
    return built
  }
}

/**
 * The connections whose tools a principal is shown. A principal whose policies
 * cannot be resolved (a parameter it lacks) is shown none, and `tools/list`
 * still answers; the built-in data tools deny its calls with the reason.
 */
function listableConnections(principal: Principal, project: ProjectFile): ConnectionDefinition[] {
  try {
    return visibleConnections(principal, project)
  } catch (error) {
    if (error instanceof AuthorizationError) return []
    throw error
  }
}
