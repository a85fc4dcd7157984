import { z } from 'zod'
import { GatehouseError } from '../../domain/errors.js'
import { defineTool } from '../tool-definition.js'
import { renderResult, responseFormat } from '../response-format.js'
import { projectArgument, querySignal, resolveDomain, rowLimit } from '../project-scope.js'
import { findConnection } from '../../data/project/loaded-project.js'
import { semanticQueryShape } from '../../data/semantic/semantic-query.js'
import { compileSemanticQuery } from '../../data/semantic/compile-semantic-query.js'

const DEFAULT_LIMIT = 1000

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
    const connectionName = domain.datasets[0]?.connection ?? ''
    const connection = findConnection(project, connectionName)
    if (connection === undefined) throw new GatehouseError('INTERNAL', `domain ${domain.name} has no connection`)
    const maxRows = rowLimit(ctx, connection)
    const result = await ctx.deps.data.use(project, connection, async (engine) => {
      const compiled = compileSemanticQuery(
        domain,
        { ...args, ...(args.limit !== undefined && { limit: Math.min(args.limit, maxRows) }) },
        { dialect: engine.kind, maxLimit: maxRows, defaultLimit: Math.min(DEFAULT_LIMIT, maxRows) },
      )
      return engine.query(compiled.sql, {
        // Compiled SQL passes the same guard as an agent's, with its own parameters (SPEC §5).
        guard: { allowParameters: true },
        maxRows: compiled.maxRows,
        params: compiled.params,
        signal: querySignal(ctx, ctx.deps.limits.statementTimeoutMs),
      })
    })
    const structuredContent = { ...result }
    return { structuredContent, text: renderResult(result, args.response_format) }
  },
})
