import { z } from 'zod'
import { GatehouseError, InputError } from '../../domain/errors.js'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { tablesNamed } from '../../data/table-name.js'
import { connectionArgument, projectArgument, resolveConnection } from '../project-scope.js'
import { connectionAccess } from '../data-security.js'

export const describeTable = defineTool({
  name: 'describe_table',
  title: 'Describe table',
  description: 'Lists the columns of one table of a connection, with their types and nullability.',
  input: z.object({
    connection: connectionArgument,
    table: z.string().min(1).describe('schema.table, or a table name that is unique across schemas'),
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
    const matches = tablesNamed(tables, args.table)
    const [table, other] = matches
    if (table === undefined) {
      throw new GatehouseError(
        'NOT_FOUND',
        `Table "${args.table}" not found in connection "${connection.name}"; list_tables shows the tables`,
      )
    }
    if (other !== undefined) {
      throw new InputError(
        `Table "${args.table}" exists in several schemas (${matches.map((t) => t.schema).join(', ')}); write schema.table`,
        'table',
      )
    }
    const structuredContent = {
      connection: connection.name,
      schema: table.schema,
      name: table.name,
      qualified_name: `${table.schema}.${table.name}`,
      columns: table.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
