import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { loadProjectFile } from '../../config/load-project-file.js'
import { applyProject } from '../../data/project/apply-project.js'
import { BUILTIN_TOOLS } from '../../mcp/tools/core-tools.js'

export function registerApplyCommand(program: Command, output: Output): Command {
  return program
    .command('apply')
    .description('Validate a project definition against its connections and apply it (idempotent)')
    .requiredOption('-f, --file <path>', 'the project file (YAML)')
    .requiredOption('--org <org>', 'organization name or id')
    .option('--json', 'print JSON')
    .action(async (opts: { file: string; org: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const project = loadProjectFile(opts.file, { reservedToolNames: BUILTIN_TOOLS.map((t) => t.name) })
        const applied = await applyProject(ctx.store, org.id, project, {
          file: opts.file,
          appliedBy: null,
          env: process.env,
          statementTimeoutMs: ctx.config.limits.statement_timeout_ms,
        })
        const view = {
          project: { id: applied.project.id, name: applied.project.name },
          created_project: applied.createdProject,
          changed: applied.changed,
          digest: applied.digest,
          connections: project.connections.map((c) => c.name),
          domains: project.domains.map((d) => d.name),
          tools: project.tools.map((t) => t.name),
        }
        if (applied.changed) {
          ctx.audit.record({
            type: 'project.applied',
            orgId: org.id,
            data: {
              project_id: applied.project.id,
              project: applied.project.name,
              digest: applied.digest,
              actor: 'cli',
            },
          })
        }
        if (opts.json === true) return output.out(JSON.stringify(view))
        const what = `${view.connections.length} connections, ${view.domains.length} domains, ${view.tools.length} tools`
        output.out(
          applied.changed
            ? `Applied project ${view.project.name} (${view.project.id}) to ${org.name}: ${what}`
            : `Project ${view.project.name} (${view.project.id}) is unchanged: ${what}`,
        )
      })
    })
}
