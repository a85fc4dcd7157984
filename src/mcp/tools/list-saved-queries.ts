import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { projectArgument } from '../project-scope.js'
import { savedQuerySummary, visibleSavedQueries } from '../saved-query-scope.js'

export const listSavedQueries = defineTool({
  name: 'list_saved_queries',
  title: 'List saved queries',
  description:
    'Lists the saved queries you can run: named standard-mode queries over a domain and dev-mode SQL on a ' +
    'connection, with their project and description. Run one with run_saved_query.',
  input: z.object({ project: projectArgument, response_format: responseFormat }),
  permission: 'saved_queries:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const savedQueries = (await visibleSavedQueries(ctx, args.project)).map(savedQuerySummary)
    const structuredContent = { saved_queries: savedQueries }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
