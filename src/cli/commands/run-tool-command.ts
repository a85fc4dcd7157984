import type { Command } from 'commander'
import { z } from 'zod'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { collect, parseKeyValues } from '../collect-option.js'
import { GatehouseError, InputError, InsufficientScopeError, NotFoundError } from '../../domain/errors.js'
import { SCOPE_FOR_PERMISSION } from '../../domain/permissions.js'
import type { OAuthScope } from '../../domain/permissions.js'
import { DataPlane } from '../../data/data-plane.js'
import { ProjectCatalog } from '../../store/project-catalog.js'
import { ToolRunner } from '../../mcp/tool-runner.js'
import { CustomTools } from '../../mcp/custom-tools.js'
import { BUILTIN_TOOLS } from '../../mcp/tools/core-tools.js'
import { principalFromUserContext } from '../cli-principal.js'

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
      'who calls: {"org":"acme","user":"admin@acme.example","permissions":"read,sql:read","projects":["analytics"]}, ' +
        'or a tenant user: {"org":"acme","tenant":"globex","end_user":"u-17","security_params":{"regions":["EMEA"]}}',
    )
    .option('--json', 'print the structured result as JSON')
    .action(async (name: string, opts: { param: string[]; userContext: string; json?: boolean }, cmd: Command) => {
      const args = parseKeyValues(opts.param, '--param')
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const principal = await principalFromUserContext(ctx, opts.userContext)
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
