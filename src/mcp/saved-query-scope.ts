import { z } from 'zod'
import { GatehouseError, InputError } from '../domain/errors.js'
import type { Principal } from '../domain/principal.js'
import type { LoadedProject } from '../data/project/loaded-project.js'
import { parseSavedQuery } from '../data/saved-query.js'
import type { SavedQueryRow } from '../store/repositories/saved-query-repository.js'
import { PERMISSION_FOR_MODE, requireModePermission, savedQueryTarget } from '../authz/saved-query-access.js'
import type { SavedQueryTarget } from '../authz/saved-query-access.js'
import { scopedProjects } from './project-scope.js'
import type { ToolContext } from './tool-definition.js'

export const savedQueryArgument = z.string().min(1).max(200).describe('Saved query name, from list_saved_queries')

/** A saved query the principal may see, with what it reads. */
export interface ScopedSavedQuery {
  readonly project: LoadedProject
  readonly row: SavedQueryRow
  readonly target: SavedQueryTarget
}

/** The saved queries of the principal's projects (or of the one `project` names) that it may see. */
export async function visibleSavedQueries(ctx: ToolContext, project: string | undefined): Promise<ScopedSavedQuery[]> {
  const projects = await scopedProjects(ctx, project)
  const byId = new Map(projects.map((p) => [p.id, p]))
  const rows = await ctx.deps.store.savedQueries.list(ctx.principal.orgId, [...byId.keys()])
  const out: ScopedSavedQuery[] = []
  for (const row of rows) {
    const owner = byId.get(row.project_id)
    const scoped = owner === undefined ? undefined : scope(ctx.principal, owner, row)
    if (scoped !== undefined) out.push(scoped)
  }
  return out.sort((a, b) => a.project.name.localeCompare(b.project.name) || a.row.name.localeCompare(b.row.name))
}

/**
 * Finds one saved query by name. Unknown and hidden saved queries get the
 * same answer, so names cannot be probed. With `checkMode` (running it), the
 * permission its mode needs is checked before its visibility, as a direct
 * `query` or `run_sql` call would be refused before anything is looked up.
 */
export async function resolveSavedQuery(
  ctx: ToolContext,
  name: string,
  project: string | undefined,
  options: { readonly checkMode: boolean },
): Promise<ScopedSavedQuery> {
  const projects = await scopedProjects(ctx, project)
  const found = await Promise.all(
    projects.map(async (p) => ({
      project: p,
      row: await ctx.deps.store.savedQueries.find(ctx.principal.orgId, p.id, name),
    })),
  )
  const matches: ScopedSavedQuery[] = []
  let missingMode: SavedQueryRow['mode'] | undefined
  for (const { project: owner, row } of found) {
    if (row === undefined) continue
    if (options.checkMode && !ctx.principal.permissions.has(PERMISSION_FOR_MODE[row.mode])) {
      missingMode ??= row.mode
      continue
    }
    const scoped = scope(ctx.principal, owner, row)
    if (scoped !== undefined) matches.push(scoped)
  }
  const [first, second] = matches
  if (first === undefined) {
    if (missingMode !== undefined) requireModePermission(ctx.principal, missingMode)
    throw savedQueryNotFound(name)
  }
  if (second !== undefined) {
    throw new InputError(
      `Saved query "${name}" exists in several of your projects (${matches.map((m) => m.project.name).join(', ')}); ` +
        'pass project to choose one',
      'project',
    )
  }
  return first
}

/** One answer for unknown and hidden saved queries alike. */
export function savedQueryNotFound(name: string): GatehouseError<'NOT_FOUND'> {
  return new GatehouseError(
    'NOT_FOUND',
    `Saved query "${name}" not found; list_saved_queries shows the ones you can use`,
  )
}

/** The one project a new saved query goes into: named, or the principal's only project with a definition. */
export async function targetProject(ctx: ToolContext, project: string | undefined): Promise<LoadedProject> {
  const projects = await scopedProjects(ctx, project)
  const [first, second] = projects
  if (first === undefined) {
    throw new GatehouseError(
      'NOT_FOUND',
      'You have no project with an applied definition to save a query in; list_projects shows your projects',
    )
  }
  if (second !== undefined) {
    throw new InputError(
      `You have several projects (${projects.map((p) => p.name).join(', ')}); pass project to choose where to save`,
      'project',
    )
  }
  return first
}

/** The parsed definition and target of a stored row, when the principal may see it. */
function scope(principal: Principal, project: LoadedProject, row: SavedQueryRow): ScopedSavedQuery | undefined {
  const target = savedQueryTarget(principal, project.definition, parseSavedQuery(row.mode, row.query))
  return target === undefined ? undefined : { project, row, target }
}

/** How tools show a saved query (README, Tools): what it reads, not how; its creator stays in the store. */
export function savedQuerySummary(saved: ScopedSavedQuery) {
  return {
    name: saved.row.name,
    project: saved.project.name,
    description: saved.row.description,
    mode: saved.target.mode,
    ...(saved.target.mode === 'standard'
      ? { domain: saved.target.domain.name }
      : { connection: saved.target.connection.name }),
    created_at: new Date(saved.row.created_at).toISOString(),
    updated_at: new Date(saved.row.updated_at).toISOString(),
  }
}

/** Who saved a query, for the record: the key's visible prefix or the user id; never a secret. */
export function savedBy(principal: Principal): string | null {
  return principal.keyPrefix ?? principal.userId ?? principal.clientId ?? null
}
