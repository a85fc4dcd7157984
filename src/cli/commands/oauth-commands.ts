import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { CliContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { collect } from '../collect-option.js'
import { NotFoundError } from '../../domain/errors.js'
import { ConnectedApps } from '../../auth/authorization-server/connected-apps.js'
import { OperatorClients } from '../../auth/authorization-server/operator-clients.js'

function operatorClients(ctx: CliContext): OperatorClients {
  return new OperatorClients(ctx.store, ctx.audit, ctx.config.auth.clients)
}

/**
 * `clients list|create|delete` (the operator's: clients are server-wide) and
 * `apps list|disconnect` (Connected Applications, SPEC §3.3).
 */
export function registerOAuthCommands(program: Command, output: Output): void {
  const clients = program
    .command('clients')
    .description('OAuth clients (server-wide: they register before any organization is chosen)')

  clients
    .command('list')
    .description('List OAuth clients: from the config file, created here, and dynamically registered')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const views = await operatorClients(ctx).list()
        output.out(
          opts.json === true
            ? JSON.stringify(views)
            : formatTable(
                views.map((v) => ({
                  ...v,
                  redirect_uris: v.redirect_uris.join(' '),
                  first_grant_at: v.first_grant_at ?? 'never',
                })),
                ['client_id', 'client_name', 'origin', 'type', 'redirect_uris', 'first_grant_at'],
              ),
        )
      })
    })

  clients
    .command('create')
    .description('Register a client; a confidential client secret is printed once')
    .requiredOption('--name <name>', 'shown on the consent page')
    .requiredOption('--redirect-uri <uri>', 'an allowed redirect URI (repeatable)', collect)
    .option('--confidential', 'a client with a secret (client_secret_basic); default: public (PKCE only)')
    .option('--scope <scope>', 'a scope the client may ask for (repeatable; default: any)', collect)
    .option('--json', 'print JSON')
    .action(
      async (
        opts: { name: string; redirectUri: string[]; confidential?: boolean; scope?: string[]; json?: boolean },
        cmd: Command,
      ) => {
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const created = await operatorClients(ctx).create({
            name: opts.name,
            redirectUris: opts.redirectUri,
            confidential: opts.confidential === true,
            ...(opts.scope !== undefined && { scopes: opts.scope }),
          })
          if (opts.json === true) {
            output.out(JSON.stringify({ ...created.client, client_secret: created.clientSecret ?? null }))
            return
          }
          output.out(
            `Created ${created.client.type} client ${created.client.client_id} "${created.client.client_name}"`,
          )
          if (created.clientSecret !== undefined) {
            output.out(`Client secret (shown once, store it now): ${created.clientSecret}`)
          }
        })
      },
    )

  clients
    .command('delete')
    .description('Delete a client and disconnect every application that uses it')
    .argument('<client_id>')
    .action(async (clientId: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        await operatorClients(ctx).delete(clientId)
        output.out(`Deleted client ${clientId}`)
      })
    })

  const apps = program
    .command('apps')
    .description("Connected Applications: the OAuth grants of an organization's users")

  apps
    .command('list')
    .description('List the Connected Applications of an organization, or of one user')
    .requiredOption('--org <org>', 'organization name or id')
    .option('--user <email>', 'only this user’s applications')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; user?: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        let userId: string | undefined
        if (opts.user !== undefined) {
          const member = await ctx.store.users.findMember(org.id, opts.user)
          if (member === undefined) throw new NotFoundError(`User ${opts.user} in ${org.name}`)
          userId = member.userId
        }
        const views = await new ConnectedApps(ctx.store, ctx.audit).list(org.id, userId)
        if (opts.json === true) {
          output.out(JSON.stringify(views))
          return
        }
        const emails = new Map((await ctx.store.users.listMembers(org.id)).map((m) => [m.userId, m.email]))
        output.out(
          formatTable(
            views.map((v) => ({
              id: v.id,
              client: v.client_name,
              user: emails.get(v.user_id) ?? v.user_id,
              scopes: v.scopes.join(' '),
              status: v.status,
              last_used: v.last_used_at ?? 'never',
            })),
            ['id', 'client', 'user', 'scopes', 'status', 'last_used'],
          ),
        )
      })
    })

  apps
    .command('disconnect')
    .description('Disconnect an application: every token of it stops working within a second')
    .argument('<id>', 'the Connected Application id (from apps list)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const view = await new ConnectedApps(ctx.store, ctx.audit).disconnect({ orgId: null }, id, 'cli')
        output.out(opts.json === true ? JSON.stringify(view) : `Disconnected ${view.client_name} (${view.id})`)
      })
    })
}
