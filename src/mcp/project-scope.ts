import { z } from 'zod'
import { GatehouseError, InputError } from '../domain/errors.js'
import type { ConnectionDefinition, DomainDefinition } from '../config/project-file-schema.js'
import type { LoadedProject } from '../data/project/loaded-project.js'
import { visibleConnections, visibleDomains } from '../authz/data-access.js'
import type { ToolContext } from './tool-definition.js'

export const projectArgument = z
  .string()
  .min(1)
  .optional()
  .describe('Project name or id; needed only when the name is used in several of your projects')

export const connectionArgument = z.string().min(1).describe('Connection name, from list_connections')

/** The principal's projects with a definition, or the one `project` names. */
export async function scopedProjects(ctx: ToolContext, project: string | undefined): Promise<LoadedProject[]> {
  const projects = await ctx.deps.data.projects(ctx.principal.orgId, ctx.principal.projectIds)
  if (project === undefined) return projects
  const found = projects.filter((p) => p.name === project || p.id === project)
  if (found.length === 0) {
    throw new GatehouseError('NOT_FOUND', `Project "${project}" not found; list_projects shows the ones you can use`)
  }
  return found
}

export interface ResolvedConnection {
  readonly project: LoadedProject
  readonly connection: ConnectionDefinition
}

/**
 * Finds a connection the principal can see. Unknown and hidden connections get
 * the same answer, so a name cannot be probed.
 */
export async function resolveConnection(
  ctx: ToolContext,
  name: string,
  project: string | undefined,
): Promise<ResolvedConnection> {
  const matches: ResolvedConnection[] = []
  for (const candidate of await scopedProjects(ctx, project)) {
    const connection = visibleConnections(ctx.principal, candidate.definition).find((c) => c.name === name)
    if (connection !== undefined) matches.push({ project: candidate, connection })
  }
  return single(matches, 'Connection', name, 'list_connections')
}

export interface ResolvedDomain {
  readonly project: LoadedProject
  readonly domain: DomainDefinition
}

export async function resolveDomain(
  ctx: ToolContext,
  name: string,
  project: string | undefined,
): Promise<ResolvedDomain> {
  const matches: ResolvedDomain[] = []
  for (const candidate of await scopedProjects(ctx, project)) {
    const domain = visibleDomains(ctx.principal, candidate.definition).find((d) => d.name === name)
    if (domain !== undefined) matches.push({ project: candidate, domain })
  }
  return single(matches, 'Domain', name, 'list_domains')
}

function single<T extends { project: LoadedProject }>(matches: T[], what: string, name: string, lister: string): T {
  const [first, second] = matches
  if (first === undefined) {
    throw new GatehouseError('NOT_FOUND', `${what} "${name}" not found; ${lister} shows the ones you can use`)
  }
  if (second !== undefined) {
    throw new InputError(
      `${what} "${name}" exists in several of your projects (${matches.map((m) => m.project.name).join(', ')}); ` +
        'pass project to choose one',
      'project',
    )
  }
  return first
}

/** Statement timeout as a signal, joined with the client's own (a client that goes away stops its query). */
export function querySignal(ctx: ToolContext, timeoutMs: number): AbortSignal {
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)])
}

export function rowLimit(ctx: ToolContext, connection: ConnectionDefinition, requested?: number): number {
  const max = connection.max_rows ?? ctx.deps.limits.maxRows
  return requested === undefined ? max : Math.min(requested, max)
}
