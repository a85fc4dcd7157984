import { z } from 'zod'
import type { ParameterDefinition, ToolFileDefinition } from '../../config/project-file-schema.js'
import { GatehouseError } from '../../domain/errors.js'
import type { LoadedProject } from '../../data/project/loaded-project.js'
import { findConnection } from '../../data/project/loaded-project.js'
import { toPositionalParameters } from '../../data/sql/named-parameters.js'
import { visibleConnections } from '../../authz/data-access.js'
import { authorizeToolCall, compileToolPolicies, policyContext, shapeResult } from '../../authz/tool-policy.js'
import { defineTool } from '../tool-definition.js'
import type { ToolContext, ToolDefinition } from '../tool-definition.js'
import { renderResult, responseFormat } from '../response-format.js'
import { querySignal, rowLimit } from '../project-scope.js'
import { connectionAccess } from '../data-security.js'

const DATE = /^\d{4}-\d{2}-\d{2}$/

/** The zod schema of one declared parameter, with its declared constraints (SPEC §3.2). */
function parameterSchema(parameter: ParameterDefinition): z.ZodType {
  let schema: z.ZodType
  switch (parameter.type) {
    case 'string': {
      let text = z.string()
      if (parameter.min_length !== undefined) text = text.min(parameter.min_length)
      if (parameter.max_length !== undefined) text = text.max(parameter.max_length)
      if (parameter.pattern !== undefined) text = text.regex(new RegExp(parameter.pattern))
      schema = parameter.enum !== undefined ? z.enum(parameter.enum.map(String) as [string, ...string[]]) : text
      break
    }
    case 'integer':
    case 'number': {
      let n = parameter.type === 'integer' ? z.int() : z.number()
      if (parameter.minimum !== undefined) n = n.min(parameter.minimum)
      if (parameter.maximum !== undefined) n = n.max(parameter.maximum)
      schema =
        parameter.enum !== undefined
          ? n.refine((v) => parameter.enum?.includes(v) === true, {
              error: `expected one of ${parameter.enum.join(', ')}`,
            })
          : n
      break
    }
    case 'boolean':
      schema = z.boolean()
      break
    case 'date':
      schema = z
        .string()
        .regex(DATE, { error: 'expected a date as YYYY-MM-DD' })
        .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), { error: 'expected a valid calendar date' })
      break
  }
  if (parameter.description !== undefined) schema = schema.describe(parameter.description)
  return parameter.default !== undefined ? schema.default(parameter.default as never) : schema
}

/**
 * A custom SQL tool of a project (SPEC §3.2): its declared parameters are
 * validated with their constraints, then bound (never spliced) in place of
 * `$name`; the SQL passes the same guard as any other, with its own parameters.
 * Its policies (SPEC §6) may refuse the call before the SQL runs and shape
 * the rows it returns.
 */
export function customTool(project: LoadedProject, definition: ToolFileDefinition): ToolDefinition {
  const shape: Record<string, z.ZodType> = {}
  for (const parameter of definition.parameters) shape[parameter.name] = parameterSchema(parameter)
  const positional = toPositionalParameters(
    definition.sql,
    definition.parameters.map((p) => p.name),
  )
  const policies = compileToolPolicies(project.definition, definition)
  // The upstream token is read (and unsealed) only for a tool whose SQL can use it.
  const readsExternalToken = /get_user_external_token/i.test(definition.sql)
  return defineTool({
    name: definition.name,
    title: definition.title ?? definition.name,
    description: definition.description,
    input: z.object({ ...shape, response_format: responseFormat }),
    permission: 'data:read',
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args, ctx) {
      const connection = findConnection(project, definition.connection)
      const visible = visibleConnections(ctx.principal, project.definition).some(
        (c) => c.name === definition.connection,
      )
      if (connection === undefined || !visible) {
        throw new GatehouseError('NOT_FOUND', `Tool "${definition.name}" not found`)
      }
      const values = args as Record<string, unknown>
      // Input policies, and which output policies hold, are decided before any SQL runs (SPEC §6).
      const plan =
        policies === undefined
          ? undefined
          : authorizeToolCall(
              policies,
              policyContext(
                ctx.principal,
                Object.fromEntries(definition.parameters.map((p) => [p.name, values[p.name]])),
              ),
            )
      const { result: rows, appliedRules } = await ctx.deps.data.use(project, connection, async (engine) => {
        // A tool's SQL reads what its caller may read (SPEC §5): the same restrictions as run_sql.
        const access = await connectionAccess(ctx, project, connection, engine, {
          externalToken: readsExternalToken ? await externalToken(ctx) : null,
        })
        return engine.restrictedQuery(positional.sql, {
          restrictions: access.restrictions,
          guard: { allowParameters: true },
          maxRows: definition.max_rows ?? rowLimit(ctx, connection),
          params: positional.order.map((name) => values[name]),
          signal: querySignal(ctx, ctx.deps.limits.statementTimeoutMs),
        })
      })
      const result = plan === undefined ? rows : shapeResult(plan, rows)
      return {
        structuredContent: { ...result },
        text: renderResult(result, values.response_format as never),
        ...(plan !== undefined && plan.policies.length > 0 && { policies: plan.policies }),
        rules: appliedRules,
      }
    },
  })
}

/** The caller's upstream token (`get_user_external_token()`), or null for a caller that has none. */
async function externalToken(ctx: ToolContext): Promise<string | null> {
  const userId = ctx.principal.userId
  if (userId === undefined || ctx.deps.externalTokens === undefined) return null
  return (await ctx.deps.externalTokens.latestAccessToken(userId)) ?? null
}
