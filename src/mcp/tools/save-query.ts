import { z } from 'zod'
import { ConflictError, InputError } from '../../domain/errors.js'
import type { Principal } from '../../domain/principal.js'
import type { ProjectFile } from '../../config/project-file-schema.js'
import { defineTool } from '../tool-definition.js'
import type { ToolContext } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { projectArgument, resolveConnection, resolveDomain } from '../project-scope.js'
import { savedBy, savedQuerySummary, targetProject } from '../saved-query-scope.js'
import { compileStandardQuery, domainConnection, guardDevSql } from '../data-queries.js'
import { semanticQueryShape } from '../../data/semantic/semantic-query.js'
import type { SemanticQuery } from '../../data/semantic/semantic-query.js'
import { devQuerySchema, parseSavedQuery, savedQueryJson, savedQueryName } from '../../data/saved-query.js'
import type { DevQuery, SavedQueryDefinition } from '../../data/saved-query.js'
import type { LoadedProject } from '../../data/project/loaded-project.js'
import type { SavedQueryRow } from '../../store/repositories/saved-query-repository.js'
import { requireModePermission, savedQueryTarget } from '../../authz/saved-query-access.js'
import type { SavedQueryTarget } from '../../authz/saved-query-access.js'

export const saveQuery = defineTool({
  name: 'save_query',
  title: 'Save a query',
  description:
    'Saves a query under a name in a project, so that it can be run again with run_saved_query. Pass exactly ' +
    'one of standard (the arguments of the query tool) or dev (connection, sql and limit, as run_sql takes ' +
    'them). The query is checked before it is stored. An existing name is refused unless replace is true.',
  input: z.object({
    name: savedQueryName.describe('Letters, digits and underscores, starting with a letter; unique in the project'),
    description: z.string().max(2000).optional().describe('What the query answers, for whoever lists it'),
    project: projectArgument,
    replace: z.boolean().optional().describe('Replace a saved query of the same name (default false)'),
    standard: z
      .object(semanticQueryShape)
      .optional()
      .describe('A standard-mode query over a domain: domain, dimensions, measures, filters, order_by, limit'),
    dev: devQuerySchema.optional().describe('A dev-mode query: connection, sql (one SELECT) and limit'),
    response_format: responseFormat,
  }),
  permission: 'saved_queries:write',
  annotations: { readOnlyHint: false, openWorldHint: false },
  async run(args, ctx) {
    const definition = savedDefinition(args.standard, args.dev)
    // Saving a query needs what running it needs: a dev-mode query's SQL probes tables, a standard one fields.
    requireModePermission(ctx.principal, definition.mode)
    const project = await targetProject(ctx, args.project)
    const target = await checkQuery(ctx, project, definition)
    const replace = args.replace ?? false
    try {
      const { row, replaced } = await ctx.deps.store.savedQueries.save(
        ctx.principal.orgId,
        project.id,
        {
          name: args.name,
          description: args.description ?? null,
          mode: definition.mode,
          query: savedQueryJson(definition),
          createdBy: savedBy(ctx.principal),
        },
        // A saved query the principal cannot see is never overwritten by it.
        { replace, mayReplace: (existing) => visibleTo(ctx.principal, project.definition, existing) },
      )
      const structuredContent = { saved_query: savedQuerySummary({ project, row, target }), replaced }
      return { structuredContent, text: renderText(structuredContent, args.response_format) }
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error
      throw new ConflictError(
        `Saved query "${args.name}" already exists in project "${project.name}"; ` +
          (replace ? 'choose another name' : 'pass replace: true to replace it, or choose another name'),
        { cause: error },
      )
    }
  },
})

/**
 * Checks a query as running it would, before it is stored: a standard-mode
 * query over a visible domain must compile; dev-mode SQL on a visible
 * connection must pass the guard. Nothing runs.
 */
async function checkQuery(
  ctx: ToolContext,
  project: LoadedProject,
  definition: SavedQueryDefinition,
): Promise<SavedQueryTarget> {
  if (definition.mode === 'standard') {
    const { domain } = await resolveDomain(ctx, definition.query.domain, project.id)
    const connection = domainConnection(project, domain)
    compileStandardQuery(ctx, connection, domain, definition.query, connection.engine)
    return { mode: 'standard', query: definition.query, domain }
  }
  const { connection } = await resolveConnection(ctx, definition.query.connection, project.id)
  await guardDevSql(ctx, project, connection, definition.query.sql)
  return { mode: 'dev', query: definition.query, connection }
}

function savedDefinition(standard: SemanticQuery | undefined, dev: DevQuery | undefined): SavedQueryDefinition {
  if (standard !== undefined && dev === undefined) return { mode: 'standard', query: standard }
  if (dev !== undefined && standard === undefined) return { mode: 'dev', query: dev }
  throw new InputError(
    'Pass exactly one of standard (a query over a domain, as the query tool takes it) or dev ' +
      '(connection and sql, as run_sql takes them)',
    standard === undefined ? 'standard' : 'dev',
  )
}

function visibleTo(principal: Principal, project: ProjectFile, row: SavedQueryRow): boolean {
  try {
    return savedQueryTarget(principal, project, parseSavedQuery(row.mode, row.query)) !== undefined
  } catch {
    // A row that cannot be read is not replaced blindly.
    return false
  }
}
