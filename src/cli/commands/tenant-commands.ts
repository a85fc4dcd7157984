import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { collect } from '../collect-option.js'
import { assertResourceName } from '../resource-name.js'
import { parseAttributePairs } from './user-commands.js'
import { tenantView } from '../../store/repositories/identity-views.js'

export function registerTenantCommands(program: Command, output: Output): void {
  const tenants = program.command('tenants').description('Tenants: the end customers of an embedding product')

  tenants
    .command('create')
    .description('Create a tenant with attributes (e.g. --attr tenant_id=t_globex, used by row-level security)')
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--name <name>', 'a name unique in the organization')
    .option('--attr <KEY=VALUE>', 'an attribute (repeatable); the value is JSON when it parses as JSON', collect, [])
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; name: string; attr: string[]; json?: boolean }, cmd: Command) => {
      assertResourceName(opts.name, 'tenant', 'ten_')
      const attributes = Object.fromEntries(parseAttributePairs(opts.attr).filter(([, v]) => v !== undefined))
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const view = tenantView(await ctx.store.tenants.create(org.id, { name: opts.name, attributes }))
        output.out(
          opts.json === true ? JSON.stringify(view) : `Created tenant ${view.name} (${view.id}) in ${org.name}`,
        )
      })
    })

  tenants
    .command('list')
    .description('List the tenants of an organization')
    .requiredOption('--org <org>', 'organization name or id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const rows = (await ctx.store.tenants.list(org.id)).map(tenantView)
        output.out(
          opts.json === true ? JSON.stringify(rows) : formatTable(rows, ['id', 'name', 'attributes', 'created_at']),
        )
      })
    })
}
