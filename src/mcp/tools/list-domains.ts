import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { projectArgument, scopedProjects } from '../project-scope.js'
import { principalDomains } from '../data-queries.js'

export const listDomains = defineTool({
  name: 'list_domains',
  title: 'List domains',
  description:
    'Lists the semantic domains you can query in standard mode (the query tool): business views of the data ' +
    'with named dimensions and measures. Use describe_domain next.',
  input: z.object({ project: projectArgument, response_format: responseFormat }),
  permission: 'domains:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const domains = []
    for (const project of await scopedProjects(ctx, args.project)) {
      // Only what the principal may see: hidden datasets, dimensions and measures are not counted (SLS).
      for (const d of await principalDomains(ctx, project)) {
        domains.push({
          name: d.name,
          project: project.name,
          description: d.description ?? null,
          datasets: d.datasets.map((ds) => ds.name),
          dimensions: d.datasets.reduce((n, ds) => n + ds.dimensions.length, 0),
          measures: d.datasets.reduce((n, ds) => n + ds.measures.length, 0),
        })
      }
    }
    const structuredContent = { domains }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
