import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderResult, responseFormat } from '../response-format.js'
import { projectArgument } from '../project-scope.js'
import { resolveSavedQuery, savedQueryArgument } from '../saved-query-scope.js'
import { runDevQuery, runStandardQuery } from '../data-queries.js'

export const runSavedQuery = defineTool({
  name: 'run_saved_query',
  title: 'Run a saved query',
  description:
    'Runs a saved query by name and returns the rows, as query (standard mode) or run_sql (dev mode) would: ' +
    'it needs the same access as running that query directly. limit can only lower the saved limit. The ' +
    'result is cut at limit rows (truncated: true says more exist).',
  input: z.object({
    name: savedQueryArgument,
    project: projectArgument,
    limit: z.int().min(1).optional().describe('Maximum rows to return (at most the saved limit; capped by the server)'),
    response_format: responseFormat,
  }),
  permission: 'saved_queries:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { project, target } = await resolveSavedQuery(ctx, args.name, args.project, { checkMode: true })
    const limit = lowest(args.limit, target.query.limit)
    const { result, rules } =
      target.mode === 'standard'
        ? await runStandardQuery(ctx, project, target.domain, { ...target.query, limit })
        : await runDevQuery(ctx, project, target.connection, target.query.sql, limit)
    const structuredContent = { ...result }
    return { structuredContent, text: renderResult(result, args.response_format), rules }
  },
})

function lowest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  return b === undefined ? a : Math.min(a, b)
}
