import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { collect, parseKeyValues } from '../collect-option.js'
import { principalFor } from '../cli-principal.js'
import { InputError, NotFoundError } from '../../domain/errors.js'
import { DataPlane } from '../../data/data-plane.js'
import { policiesFor, visibleConnections } from '../../authz/data-access.js'
import { ProjectCatalog } from '../../store/project-catalog.js'
import { connectionAccess } from '../../mcp/data-security.js'

interface ExplainOptions {
  readonly org: string
  readonly project: string
  readonly user?: string
  readonly tenant?: string
  readonly endUser?: string
  readonly param: string[]
  readonly connection: string
  readonly sql: string
  readonly json?: boolean
}

/**
 * `explain`: what a principal's query becomes under the project's data
 * security (SPEC §3.2, §5), for policy authors: the policies that apply, the
 * rewritten SQL with its bound values, and the row rules it applied. Nothing
 * is run; the query is guarded and rewritten exactly as `run_sql` would.
 */
export function registerExplainCommand(program: Command, output: Output): void {
  program
    .command('explain')
    .description("Show a principal's query as data security rewrites it, and the rules that applied")
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--project <project>', 'project name or id')
    .option('--user <email>', 'a member of the organization (id or email)')
    .option('--tenant <tenant>', 'or a tenant user (tenant id or name), as a project token would carry it')
    .option('--end-user <id>', "the tenant's end user")
    .option('--param <k=v>', "a tenant token's securityParams value (JSON when it parses, else text)", collect, [])
    .requiredOption('--connection <name>', 'the connection the SQL runs on')
    .requiredOption('--sql <sql>', 'one SELECT, as an agent would send it to run_sql')
    .option('--json', 'print { principal, policies, connection, sql, params, rules } as JSON')
    .action(async (opts: ExplainOptions, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        if ((opts.user === undefined) === (opts.tenant === undefined)) {
          throw new InputError('expected --user or --tenant (one of them)')
        }
        const org = await ctx.org(opts.org)
        const project = await ctx.store.projects.findByRef(org.id, opts.project)
        if (project === undefined) throw new NotFoundError(`Project ${opts.project} in ${org.name}`)
        const principal = await principalFor(
          ctx,
          {
            org: org.id,
            projects: [project.id],
            permissions: 'data:read,domains:read,sql:read',
            ...(opts.user !== undefined && { user: opts.user }),
            ...(opts.tenant !== undefined && { tenant: opts.tenant }),
            ...(opts.endUser !== undefined && { end_user: opts.endUser }),
            ...(opts.param.length > 0 && { security_params: parseKeyValues(opts.param, '--param') }),
          },
          opts.user !== undefined ? '--user' : '--tenant',
        )
        const limits = {
          maxRows: ctx.config.limits.max_rows,
          statementTimeoutMs: ctx.config.limits.statement_timeout_ms,
        }
        await using data = new DataPlane(ctx.store, { env: process.env, ...limits })
        const [loaded] = await data.projects(org.id, [project.id])
        if (loaded === undefined) throw new NotFoundError(`An applied definition of project ${project.name}`)
        const policies = policiesFor(principal, loaded.definition).map((p) => p.policy.name)
        const connection = visibleConnections(principal, loaded.definition).find((c) => c.name === opts.connection)
        if (connection === undefined) {
          throw new NotFoundError(
            `Connection ${opts.connection} for this principal (policies that apply: ${policies.join(', ') || 'none'})`,
          )
        }
        const toolCtx = {
          principal,
          signal: AbortSignal.timeout(limits.statementTimeoutMs),
          deps: { store: ctx.store, catalog: new ProjectCatalog(ctx.store), data, limits },
        }
        const rewritten = await data.use(loaded, connection, async (engine) => {
          const access = await connectionAccess(toolCtx, loaded, connection, engine)
          return engine.rewrite(opts.sql, { restrictions: access.restrictions, guard: { allowParameters: false } })
        })
        const who = opts.user ?? `tenant ${opts.tenant ?? ''}`
        if (opts.json === true) {
          output.out(
            JSON.stringify({
              principal: who,
              policies,
              connection: connection.name,
              sql: rewritten.sql,
              params: rewritten.params,
              rules: rewritten.appliedRules,
            }),
          )
          return
        }
        output.out(
          [
            `Principal   ${who}`,
            `Policies    ${policies.join(', ') || '(none)'}`,
            `Rules       ${rewritten.appliedRules.join(', ') || '(no row rule applied)'}`,
            '',
            rewritten.sql,
            ...(rewritten.params.length === 0
              ? []
              : ['', ...rewritten.params.map((value, i) => `  $${i + 1} = ${JSON.stringify(value)}`)]),
          ].join('\n'),
        )
      })
    })
}
