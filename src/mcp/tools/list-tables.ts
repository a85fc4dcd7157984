import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { connectionArgument, projectArgument, resolveConnection } from '../project-scope.js'
import { connectionAccess } from '../data-security.js'

export const listTables = defineTool({
  name: 'list_tables',
  title: 'List tables',
  description:
    'Lists the tables of a connection that dev-mode SQL may read, with their column counts. ' +
    'System schemas are never listed. Use describe_table for the columns.',
  input: z.object({
    connection: connectionArgument,
    schema: z.string().min(1).optional().describe('Only tables of this schema'),
    project: projectArgument,
    response_format: responseFormat,
  }),
  permission: 'sql:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { project, connection } = await resolveConnection(ctx, args.connection, args.project)
    // The catalog as the principal sees it (SLS): hidden tables and columns do not exist.
    const { tables } = await ctx.deps.data.use(project, connection, (engine) =>
      connectionAccess(ctx, project, connection, engine),
    )
    const structuredContent = {
      connection: connection.name,
      tables: tables
        .filter((t) => args.schema === undefined || t.schema === args.schema)
        .map((t) => ({
          schema: t.schema,
          name: t.name,
          qualified_name: `${t.schema}.${t.name}`,
          columns: t.columns.length,
        })),
    }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
