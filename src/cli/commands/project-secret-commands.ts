import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { InputError } from '../../domain/errors.js'
import { formatPermissions, parsePermissions, permissionsFromObject } from '../../domain/permissions.js'
import { ProjectSecretService } from '../../auth/project-tokens/project-secret-service.js'
import type { CreatedProjectSecret, ProjectSecretView } from '../../auth/project-tokens/project-secret-service.js'

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

function secretJson(view: ProjectSecretView) {
  return {
    id: view.id,
    org_id: view.orgId,
    project_id: view.projectId,
    max_permissions: view.maxPermissions,
    allow_org_users: view.allowOrgUsers,
    status: view.status,
    created_by: view.createdBy,
    created_at: iso(view.createdAt),
    revoked_at: iso(view.revokedAt),
  }
}

function shownOnce(verb: string, created: CreatedProjectSecret): string {
  const { view, secret } = created
  const ceiling = formatPermissions(permissionsFromObject(view.maxPermissions))
  return [
    `${verb} project secret ${view.id} (at most ${ceiling}${view.allowOrgUsers ? '; org users allowed' : ''}).`,
    '',
    `  ${secret}`,
    '',
    'This is the only time the secret is shown. Store it now.',
  ].join('\n')
}

/** `projects secret …` (SPEC §3.3): the secrets an embedding backend mints project tokens with. */
export function registerProjectSecretCommands(projects: Command, output: Output): void {
  const secret = projects
    .command('secret')
    .description('Project secrets: mint project tokens for an embedding product (shown once, hashed at rest)')

  secret
    .command('create')
    .description('Add a live secret to a project (several may be live: create, deploy, then revoke the old)')
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--project <project>', 'project name or id')
    .option(
      '--max-permissions <list>',
      'the most a token may carry: read, write, or a list like data:read,sql:read',
      'read',
    )
    .option('--allow-org-users', 'the secret may also mint tokens of org users (not only tenant users)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: { org: string; project: string; maxPermissions: string; allowOrgUsers?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const maxPermissions = parsePermissions(opts.maxPermissions)
        if (!maxPermissions.ok) throw new InputError(`--max-permissions: ${maxPermissions.error}`, 'max_permissions')
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const org = await ctx.org(opts.org)
          const created = await new ProjectSecretService(ctx.store, ctx.audit).create({
            orgId: org.id,
            project: opts.project,
            maxPermissions: maxPermissions.value,
            allowOrgUsers: opts.allowOrgUsers === true,
            createdBy: 'cli',
          })
          output.out(
            opts.json === true
              ? JSON.stringify({ ...secretJson(created.view), secret: created.secret })
              : shownOnce('Created', created),
          )
        })
      },
    )

  secret
    .command('list')
    .description('List the secrets of a project (revoked ones stay listed)')
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--project <project>', 'project name or id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; project: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const views = await new ProjectSecretService(ctx.store, ctx.audit).list(org.id, opts.project)
        if (opts.json === true) {
          output.out(JSON.stringify(views.map(secretJson)))
          return
        }
        const rows = views.map((v) => ({
          id: v.id,
          max_permissions: formatPermissions(permissionsFromObject(v.maxPermissions)),
          org_users: v.allowOrgUsers ? 'allowed' : 'no',
          status: v.status,
          created_at: iso(v.createdAt),
          revoked_at: iso(v.revokedAt) ?? '',
        }))
        output.out(formatTable(rows, ['id', 'max_permissions', 'org_users', 'status', 'created_at', 'revoked_at']))
      })
    })

  secret
    .command('rotate')
    .description('Create a secret with the same settings and revoke this one at once (its tokens stop working)')
    .argument('<id>', 'the secret id (ps_…)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const rotated = await new ProjectSecretService(ctx.store, ctx.audit).rotate(null, id, 'cli')
        if (opts.json === true) {
          output.out(
            JSON.stringify({
              ...secretJson(rotated.view),
              secret: rotated.secret,
              revoked: secretJson(rotated.revoked),
            }),
          )
          return
        }
        output.out(`${shownOnce('Created', rotated)}\nRevoked project secret ${rotated.revoked.id}.`)
      })
    })

  secret
    .command('revoke')
    .description('Revoke a secret for good; every token minted with it stops working')
    .argument('<id>', 'the secret id (ps_…)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const view = await new ProjectSecretService(ctx.store, ctx.audit).revoke(null, id, 'cli')
        output.out(opts.json === true ? JSON.stringify(secretJson(view)) : `Revoked project secret ${view.id}`)
      })
    })
}
