import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { assertResourceName } from '../resource-name.js'
import type { Project } from '../../store/repositories/project-repository.js'

function projectView(p: Project) {
  return { id: p.id, name: p.name, org_id: p.org_id, created_at: new Date(p.created_at).toISOString() }
}

export function registerProjectCommands(program: Command, output: Output): Command {
  const projects = program.command('projects').description('Projects: connections, domains, policies and tools')

  projects
    .command('create')
    .description('Create a project in an organization')
    .requiredOption('--org <org>', 'organization name or id')
    .argument('<name>', 'a name unique in the organization')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { org: string; json?: boolean }, cmd: Command) => {
      assertResourceName(name, 'project', 'prj_')
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const view = projectView(await ctx.store.projects.create(org.id, name))
        output.out(
          opts.json === true ? JSON.stringify(view) : `Created project ${view.name} (${view.id}) in ${org.name}`,
        )
      })
    })

  projects
    .command('list')
    .description('List the projects of an organization')
    .requiredOption('--org <org>', 'organization name or id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const rows = (await ctx.store.projects.list(org.id)).map(projectView)
        output.out(opts.json === true ? JSON.stringify(rows) : formatTable(rows, ['id', 'name', 'created_at']))
      })
    })
  return projects
}
