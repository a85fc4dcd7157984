import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { projectArgument, scopedProjects } from '../project-scope.js'
import { visibleConnections } from '../../authz/data-access.js'

export const listConnections = defineTool({
  name: 'list_connections',
  title: 'List connections',
  description:
    'Lists the database connections you can query in dev mode (run_sql), with their project and engine ' +
    '(duckdb or postgres). Use list_tables next.',
  input: z.object({ project: projectArgument, response_format: responseFormat }),
  permission: 'sql:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const connections = (await scopedProjects(ctx, args.project)).flatMap((project) =>
      visibleConnections(ctx.principal, project.definition).map((c) => ({
        name: c.name,
        engine: c.engine,
        project: project.name,
        description: c.description ?? null,
      })),
    )
    const structuredContent = { connections }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
