import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { assertResourceName } from '../resource-name.js'

export function orgView(org: { id: string; name: string; status: string; created_at: number }) {
  return { id: org.id, name: org.name, status: org.status, created_at: new Date(org.created_at).toISOString() }
}

export function registerOrgCommands(program: Command, output: Output): void {
  const orgs = program.command('orgs').description('Organizations: the isolation boundary')

  orgs
    .command('create')
    .description('Create an organization')
    .argument('<name>', 'a unique name (letters, digits, ".", "_" and "-")')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      assertResourceName(name, 'organization', 'org_')
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = orgView(await ctx.store.orgs.create(name))
        output.out(opts.json === true ? JSON.stringify(org) : `Created organization ${org.name} (${org.id})`)
      })
    })

  orgs
    .command('list')
    .description('List organizations')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const rows = (await ctx.store.orgs.list()).map(orgView)
        output.out(
          opts.json === true ? JSON.stringify(rows) : formatTable(rows, ['id', 'name', 'status', 'created_at']),
        )
      })
    })

  for (const [verb, status] of [
    ['deactivate', 'inactive'],
    ['activate', 'active'],
  ] as const) {
    orgs
      .command(verb)
      .description(
        verb === 'deactivate'
          ? 'Deactivate an organization: every credential in it fails with "Account is inactive"'
          : 'Reactivate an organization',
      )
      .argument('<org>', 'organization name or id')
      .option('--json', 'print JSON')
      .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const org = await ctx.org(ref)
          await ctx.store.orgs.setStatus(org.id, status)
          const view = orgView({ ...org, status })
          output.out(opts.json === true ? JSON.stringify(view) : `Organization ${org.name} (${org.id}) is ${status}`)
        })
      })
  }

  orgs
    .command('delete')
    .description(
      'Delete an organization: its projects, tenants and memberships go; its credentials answer "Account not found"',
    )
    .argument('<org>', 'organization name or id')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(ref)
        await ctx.store.orgs.delete(org.id)
        output.out(
          opts.json === true
            ? JSON.stringify({ id: org.id, name: org.name, deleted: true })
            : `Deleted organization ${org.name} (${org.id})`,
        )
      })
    })
}
