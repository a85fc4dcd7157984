import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'

export const listProjects = defineTool({
  name: 'list_projects',
  title: 'List projects',
  description: 'Lists the projects this credential can use, with their ids and names.',
  input: z.object({ response_format: responseFormat }),
  permission: null,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, { principal, deps }) {
    const projects = await deps.catalog.projects(principal.orgId, principal.projectIds)
    const structuredContent = { projects: projects.map((p) => ({ id: p.id, name: p.name })) }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
