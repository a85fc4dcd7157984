import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderResult, responseFormat } from '../response-format.js'
import { connectionArgument, projectArgument, resolveConnection } from '../project-scope.js'
import { runDevQuery } from '../data-queries.js'

export const runSql = defineTool({
  name: 'run_sql',
  title: 'Run SQL (dev mode)',
  description:
    'Runs one read-only SELECT on a connection and returns the rows. Use the table names from list_tables; ' +
    'write values into the query (no placeholders). Refused: anything but a single SELECT, table functions, ' +
    'file paths, system catalogs and functions outside the allowlist. The result is cut at limit rows ' +
    '(truncated: true says more exist).',
  input: z.object({
    connection: connectionArgument,
    sql: z.string().min(1).max(100_000).describe('One SELECT statement, in the connection engine dialect'),
    limit: z.int().min(1).optional().describe('Maximum rows to return (capped by the server)'),
    project: projectArgument,
    response_format: responseFormat,
  }),
  permission: 'sql:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { project, connection } = await resolveConnection(ctx, args.connection, args.project)
    const { result, rules } = await runDevQuery(ctx, project, connection, args.sql, args.limit)
    const structuredContent = { ...result }
    return { structuredContent, text: renderResult(result, args.response_format), rules }
  },
})
