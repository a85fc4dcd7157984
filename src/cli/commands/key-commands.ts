import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { collect } from '../collect-option.js'
import { InputError } from '../../domain/errors.js'
import { formatPermissions, parsePermissions, permissionsFromObject } from '../../domain/permissions.js'
import { ApiKeyService } from '../../auth/api-keys/api-key-service.js'
import type { ApiKeyView } from '../../auth/api-keys/api-key-service.js'
import { KEY_EXPIRIES, isKeyExpiry } from '../../auth/api-keys/api-key-expiry.js'

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

function keyJson(view: ApiKeyView) {
  return {
    id: view.id,
    prefix: view.prefix,
    name: view.name,
    org_id: view.orgId,
    user_id: view.userId,
    project_ids: view.projectIds,
    domain_access: view.domainAccess,
    permissions: view.permissions,
    status: view.status,
    expires_at: iso(view.expiresAt),
    created_by: view.createdBy,
    created_at: iso(view.createdAt),
    last_used_at: iso(view.lastUsedAt),
    revoked_at: iso(view.revokedAt),
  }
}

/** Revoked keys stay listed, struck through, so a revocation is never mistaken for a key that never was. */
function strike(text: string): string {
  return [...text].map((c) => `${c}\u0336`).join('')
}

export function registerKeyCommands(program: Command, output: Output): void {
  const keys = program.command('keys').description('API keys for scripts and CI (shown once, hashed at rest)')

  keys
    .command('create')
    .description('Create an API key of a user; the key is printed once')
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--user <email>', 'the user the key acts as')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--project <project>', 'project name or id the key may use (repeatable)', collect, [])
    .option('--domain <domain>', 'narrow the key to a semantic domain (repeatable)', collect, [])
    .option(
      '--permissions <list>',
      'read, write, or a list like data:read,sql:read,saved_queries:read+write+delete',
      'read',
    )
    .option('--expires <when>', `one of ${KEY_EXPIRIES.join(', ')}`, '90d')
    .option('--admin', 'an org admin key for /api/v1 (owners and admins only)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          org: string
          user: string
          name: string
          project: string[]
          domain: string[]
          permissions: string
          expires: string
          admin?: boolean
          json?: boolean
        },
        cmd: Command,
      ) => {
        if (!isKeyExpiry(opts.expires)) {
          throw new InputError(`--expires: "${opts.expires}" is not one of ${KEY_EXPIRIES.join(', ')}`, 'expires')
        }
        const permissions = parsePermissions(opts.permissions)
        if (!permissions.ok) throw new InputError(`--permissions: ${permissions.error}`, 'permissions')
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const org = await ctx.org(opts.org)
          const service = new ApiKeyService(ctx.store, ctx.audit)
          const { key, view } = await service.create({
            orgId: org.id,
            userEmail: opts.user,
            name: opts.name,
            projects: opts.project,
            domains: opts.domain,
            permissions: permissions.value,
            expires: opts.expires as never,
            admin: opts.admin === true,
            createdBy: 'cli',
          })
          if (opts.json === true) {
            output.out(JSON.stringify({ ...keyJson(view), key }))
            return
          }
          output.out(
            [
              `Created API key ${view.prefix} "${view.name}" (${formatPermissions(permissionsFromObject(view.permissions))}), ` +
                `expires ${iso(view.expiresAt) ?? 'never'}.`,
              '',
              `  ${key}`,
              '',
              'This is the only time the key is shown. Store it now.',
            ].join('\n'),
          )
        })
      },
    )

  keys
    .command('list')
    .description('List the API keys of an organization (revoked keys stay listed)')
    .requiredOption('--org <org>', 'organization name or id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const views = await new ApiKeyService(ctx.store, ctx.audit).list(org.id)
        if (opts.json === true) {
          output.out(JSON.stringify(views.map(keyJson)))
          return
        }
        const users = new Map((await ctx.store.users.listMembers(org.id)).map((m) => [m.userId, m.email]))
        const rows = views.map((v) => {
          const row = {
            prefix: v.prefix,
            name: v.name,
            user: users.get(v.userId) ?? v.userId,
            permissions: formatPermissions(permissionsFromObject(v.permissions)),
            status: v.status,
            expires: iso(v.expiresAt)?.slice(0, 10) ?? 'never',
            last_used: iso(v.lastUsedAt) ?? 'never',
          }
          return v.status === 'revoked' ? { ...row, prefix: strike(row.prefix), name: strike(row.name) } : row
        })
        output.out(formatTable(rows, ['prefix', 'name', 'user', 'permissions', 'status', 'expires', 'last_used']))
      })
    })

  keys
    .command('revoke')
    .description('Revoke an API key for good (it stays in the list)')
    .argument('<id>', 'the key id or its gk_ prefix')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const view = await new ApiKeyService(ctx.store, ctx.audit).revoke(null, id, 'cli')
        output.out(opts.json === true ? JSON.stringify(keyJson(view)) : `Revoked API key ${view.prefix} "${view.name}"`)
      })
    })
}
