import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { readStdin } from '../read-stdin.js'
import { collect } from '../collect-option.js'
import { InputError } from '../../domain/errors.js'
import type { MemberRole } from '../../domain/principal.js'
import { hashPassword } from '../../auth/passwords/password-hash.js'
import type { Member } from '../../store/repositories/user-repository.js'

const ROLES: readonly MemberRole[] = ['owner', 'admin', 'member']
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MIN_PASSWORD = 12

function memberView(m: Member) {
  return {
    user_id: m.userId,
    email: m.email,
    name: m.name,
    role: m.role,
    groups: m.groups,
    status: m.status,
    org_id: m.orgId,
    created_at: new Date(m.createdAt).toISOString(),
  }
}

export function registerUserCommands(program: Command, output: Output): void {
  const users = program.command('users').description('Users and their memberships')

  users
    .command('create')
    .description('Create a user (or reuse one with that email) and make them a member of an organization')
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--email <email>', 'the user email')
    .option('--name <name>', 'display name')
    .option('--role <role>', 'owner, admin or member', 'member')
    .option('--group <group>', 'a group (repeatable)', collect, [])
    .option('--password-stdin', 'read a password for local login from standard input')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          org: string
          email: string
          name?: string
          role: string
          group: string[]
          passwordStdin?: boolean
          json?: boolean
        },
        cmd: Command,
      ) => {
        if (!EMAIL.test(opts.email)) throw new InputError(`--email: "${opts.email}" is not an email address`, 'email')
        if (!ROLES.includes(opts.role as MemberRole)) {
          throw new InputError(`--role: "${opts.role}" is not a role; expected owner, admin or member`, 'role')
        }
        let passwordHash: string | undefined
        if (opts.passwordStdin === true) {
          const password = await readStdin(output.input)
          if (password.length < MIN_PASSWORD) {
            throw new InputError(`The password must have at least ${MIN_PASSWORD} characters`, 'password')
          }
          passwordHash = await hashPassword(password)
        }
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const org = await ctx.org(opts.org)
          const member = await ctx.store.users.createMember(org.id, {
            email: opts.email,
            ...(opts.name !== undefined && { name: opts.name }),
            role: opts.role as MemberRole,
            groups: opts.group,
            ...(passwordHash !== undefined && { passwordHash }),
          })
          const view = memberView(member)
          output.out(
            opts.json === true
              ? JSON.stringify(view)
              : `Added ${view.email} (${view.user_id}) to ${org.name} as ${view.role}`,
          )
        })
      },
    )

  users
    .command('list')
    .description('List the members of an organization')
    .requiredOption('--org <org>', 'organization name or id')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const rows = (await ctx.store.users.listMembers(org.id)).map(memberView)
        output.out(
          opts.json === true
            ? JSON.stringify(rows)
            : formatTable(rows, ['user_id', 'email', 'name', 'role', 'groups', 'status']),
        )
      })
    })
}
