import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { projectArgument } from '../project-scope.js'
import { resolveSavedQuery, savedQueryArgument, savedQueryNotFound } from '../saved-query-scope.js'

export const deleteSavedQuery = defineTool({
  name: 'delete_saved_query',
  title: 'Delete a saved query',
  description: 'Deletes a saved query by name, for everyone in its project. This cannot be undone.',
  input: z.object({ name: savedQueryArgument, project: projectArgument, response_format: responseFormat }),
  permission: 'saved_queries:delete',
  annotations: { readOnlyHint: false, openWorldHint: false },
  async run(args, ctx) {
    const { project, row } = await resolveSavedQuery(ctx, args.name, args.project, { checkMode: false })
    const deleted = await ctx.deps.store.savedQueries.delete(ctx.principal.orgId, project.id, row.name)
    if (!deleted) {
      // Deleted by someone else since it was found: the same answer as a name that never existed.
      throw savedQueryNotFound(args.name)
    }
    const structuredContent = { deleted: { name: row.name, project: project.name } }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
