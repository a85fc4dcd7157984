import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderResult, responseFormat } from '../response-format.js'
import { projectArgument, resolveDomain } from '../project-scope.js'
import { semanticQueryShape } from '../../data/semantic/semantic-query.js'
import { runStandardQuery } from '../data-queries.js'

export const query = defineTool({
  name: 'query',
  title: 'Query a domain (standard mode)',
  description:
    'Answers a question from a semantic domain without writing SQL: pick dimensions to group by, measures to ' +
    'aggregate, filters and an order. Names come from describe_domain. The result is cut at limit rows ' +
    '(truncated: true says more exist).',
  input: z.object({ ...semanticQueryShape, project: projectArgument, response_format: responseFormat }),
  permission: 'data:read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { project, domain } = await resolveDomain(ctx, args.domain, args.project)
    const { result, rules } = await runStandardQuery(ctx, project, domain, args)
    const structuredContent = { ...result }
    return { structuredContent, text: renderResult(result, args.response_format), rules }
  },
})
