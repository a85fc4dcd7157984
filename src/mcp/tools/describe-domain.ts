import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { projectArgument, resolveDomain } from '../project-scope.js'
import { describeDomain as describe } from '../../data/semantic/describe-domain.js'
import { visibleDomain } from '../data-queries.js'

export const describeDomain = defineTool({
  name: 'describe_domain',
  title: 'Describe domain',
  description:
    'Describes a semantic domain: its datasets, the dimensions to group and filter by (with their types), ' +
    'the measures to aggregate, the filter operators and time granularities the query tool accepts.',
  input: z.object({
    domain: z.string().min(1).describe('Domain name, from list_domains'),
    project: projectArgument,
    response_format: responseFormat,
  }),
  permission: 'domains:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { project, domain } = await resolveDomain(ctx, args.domain, args.project)
    // Datasets, dimensions and measures over hidden tables and columns do not exist for the principal (SLS).
    const structuredContent = { project: project.name, ...describe(await visibleDomain(ctx, project, domain)) }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
