import type { Command } from 'commander'
import { z } from 'zod'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { collect } from '../collect-option.js'
import { GatehouseError, InputError, InsufficientScopeError, NotFoundError } from '../../domain/errors.js'
import type { Principal } from '../../domain/principal.js'
import { SCOPE_FOR_PERMISSION, parsePermissions } from '../../domain/permissions.js'
import type { OAuthScope } from '../../domain/permissions.js'
import { DataPlane } from '../../data/data-plane.js'
import { ProjectCatalog } from '../../store/project-catalog.js'
import { ToolRunner } from '../../mcp/tool-runner.js'
import { CustomTools } from '../../mcp/custom-tools.js'
import { BUILTIN_TOOLS } from '../../mcp/tools/core-tools.js'
import type { CliContext } from '../cli-context.js'

/** Who `run tool` acts as: a member of an org, optionally with overrides to try a policy out. */
const userContextSchema = z.strictObject({
  org: z.string().min(1),
  user: z.string().min(1).optional(),
  projects: z.array(z.string().min(1)).optional(),
  permissions: z.string().min(1).default('read'),
  domains: z.array(z.string().min(1)).optional(),
  role: z.enum(['owner', 'admin', 'member']).optional(),
  groups: z.array(z.string()).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
})

/**
 * `run tool NAME`: calls a tool in-process as a given principal, through the
 * same checks as a call over MCP (permission, argument validation, project,
 * connection and domain access) and with an audit record, for policy authors
 * and scripts.
 */
export function registerRunToolCommand(program: Command, output: Output): void {
  program
    .command('run')
    .description('Run things in-process')
    .command('tool')
    .description('Call a tool as a given principal, through every check')
    .argument('<name>', 'the tool (built-in or custom)')
    .option('--param <k=v>', 'an argument; the value is JSON when it parses as JSON, else text', collect, [])
    .requiredOption(
      '--user-context <json>',
      'who calls: {"org":"acme","user":"admin@acme.example","permissions":"read,sql:read","projects":["analytics"]}',
    )
    .option('--json', 'print the structured result as JSON')
    .action(async (name: string, opts: { param: string[]; userContext: string; json?: boolean }, cmd: Command) => {
      const args = parseParams(opts.param)
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const principal = await principalFor(ctx, opts.userContext)
        const limits = {
          maxRows: ctx.config.limits.max_rows,
          statementTimeoutMs: ctx.config.limits.statement_timeout_ms,
        }
        await using data = new DataPlane(ctx.store, { env: process.env, ...limits })
        const runner = new ToolRunner(
          { store: ctx.store, catalog: new ProjectCatalog(ctx.store), data, limits },
          ctx.audit,
        )
        const tool =
          BUILTIN_TOOLS.find((t) => t.name === name) ?? (await new CustomTools(data).forPrincipal(principal)).get(name)
        const meta = { userAgent: 'gatehouse run tool' }
        if (tool === undefined) {
          runner.recordRefused(name, 'NOT_FOUND', principal, meta, args)
          throw new NotFoundError(`Tool ${name}`)
        }
        if (tool.permission !== null && !principal.permissions.has(tool.permission)) {
          throw new InsufficientScopeError(
            tool.permission === 'admin' ? 'mcp:read' : (SCOPE_FOR_PERMISSION[tool.permission] as OAuthScope),
          )
        }
        const parsed = tool.input.safeParse(args)
        if (!parsed.success) {
          runner.recordRefused(name, 'INPUT_INVALID', principal, meta, args)
          throw new InputError(`Invalid arguments for tool ${name}: ${z.prettifyError(parsed.error)}`)
        }
        const result = await runner.run(
          tool,
          parsed.data,
          principal,
          AbortSignal.timeout(limits.statementTimeoutMs * 2),
          meta,
          args,
        )
        if ('isError' in result) throw new GatehouseError('INPUT_INVALID', result.content[0].text)
        output.out(opts.json === true ? JSON.stringify(result.structuredContent) : result.content[0].text)
      })
    })
}

function parseParams(params: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const param of params) {
    const at = param.indexOf('=')
    if (at <= 0) throw new InputError(`--param: "${param}" is not k=v`, 'param')
    const raw = param.slice(at + 1)
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {
      // Not JSON: the text itself.
    }
    out[param.slice(0, at)] = value
  }
  return out
}

async function principalFor(ctx: CliContext, json: string): Promise<Principal> {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    throw new InputError('--user-context: expected a JSON object such as {"org":"acme","user":"admin@acme.example"}')
  }
  const parsed = userContextSchema.safeParse(raw)
  if (!parsed.success) throw new InputError(`--user-context: ${z.prettifyError(parsed.error)}`)
  const context = parsed.data
  const org = await ctx.org(context.org)
  const member = context.user === undefined ? undefined : await ctx.store.users.findMember(org.id, context.user)
  if (context.user !== undefined && member === undefined) throw new NotFoundError(`User ${context.user} in ${org.name}`)
  const permissions = parsePermissions(context.permissions)
  if (!permissions.ok) throw new InputError(`--user-context: permissions: ${permissions.error}`)
  const projects = await ctx.store.projects.list(org.id)
  const projectIds =
    context.projects === undefined
      ? projects.map((p) => p.id)
      : context.projects.map((ref) => {
          const project = projects.find((p) => p.id === ref || p.name === ref)
          if (project === undefined) throw new NotFoundError(`Project ${ref}`)
          return project.id
        })
  const scopes = new Set<string>()
  for (const p of permissions.value) if (p !== 'admin') scopes.add(SCOPE_FOR_PERMISSION[p])
  return {
    kind: 'api_key',
    orgId: org.id,
    ...(member !== undefined && { userId: member.userId, email: member.email }),
    ...(member?.name != null && { name: member.name }),
    projectIds,
    scopes: [...scopes].sort(),
    permissions: permissions.value,
    domainAccess: context.domains === undefined ? { mode: 'all' } : { mode: 'include', domains: context.domains },
    attributes: context.attributes ?? member?.attributes ?? {},
    role: context.role ?? member?.role ?? 'member',
    groups: context.groups ?? member?.groups ?? [],
    tokenId: 'cli-run-tool',
    expiresAt: null,
  }
}
