import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { CliContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { readStdin } from '../read-stdin.js'
import { collect } from '../collect-option.js'
import { InputError, NotFoundError } from '../../domain/errors.js'
import type { MemberRole } from '../../domain/principal.js'
import { hashPassword } from '../../auth/passwords/password-hash.js'
import { memberView } from '../../store/repositories/identity-views.js'
import type { Member } from '../../store/repositories/user-repository.js'

const ROLES: readonly MemberRole[] = ['owner', 'admin', 'member']
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MIN_PASSWORD = 12

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

  for (const [verb, status] of [
    ['deactivate', 'inactive'],
    ['activate', 'active'],
  ] as const) {
    users
      .command(verb)
      .description(
        verb === 'deactivate'
          ? 'Deactivate a member in an organization: their credentials there fail with "Account is inactive"'
          : 'Reactivate a member in an organization',
      )
      .requiredOption('--org <org>', 'organization name or id')
      .requiredOption('--email <email>', 'the member email')
      .option('--json', 'print JSON')
      .action(async (opts: { org: string; email: string; json?: boolean }, cmd: Command) => {
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const org = await ctx.org(opts.org)
          const member = await findMember(ctx, org.id, opts.email)
          await ctx.store.users.setMembershipStatus(org.id, member.userId, status)
          const view = memberView({ ...member, status })
          output.out(opts.json === true ? JSON.stringify(view) : `${view.email} is ${status} in ${org.name}`)
        })
      })
  }

  users
    .command('delete')
    .description(
      'Remove a member from an organization; a user left without any organization is deleted ' +
        '(their credentials then answer "Account not found")',
    )
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--email <email>', 'the member email')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; email: string; json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const member = await findMember(ctx, org.id, opts.email)
        const { userDeleted } = await ctx.store.users.removeMember(org.id, member.userId)
        output.out(
          opts.json === true
            ? JSON.stringify({ user_id: member.userId, email: member.email, org_id: org.id, user_deleted: userDeleted })
            : `Removed ${member.email} from ${org.name}${userDeleted ? '; the user had no other organization and is deleted' : ''}`,
        )
      })
    })

  users
    .command('set-attr')
    .description('Set (KEY=VALUE) or remove (KEY=) attributes of a member; values are JSON when they parse as JSON')
    .requiredOption('--org <org>', 'organization name or id')
    .requiredOption('--email <email>', 'the member email')
    .argument('<pairs...>', 'KEY=VALUE pairs')
    .option('--json', 'print JSON')
    .action(async (pairs: string[], opts: { org: string; email: string; json?: boolean }, cmd: Command) => {
      const changes = parseAttributePairs(pairs)
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const org = await ctx.org(opts.org)
        const member = await findMember(ctx, org.id, opts.email)
        const attributes: Record<string, unknown> = { ...member.attributes }
        for (const [key, value] of changes) {
          if (value === undefined) delete attributes[key]
          else attributes[key] = value
        }
        await ctx.store.users.setAttributes(org.id, member.userId, attributes)
        output.out(
          opts.json === true
            ? JSON.stringify(memberView({ ...member, attributes }))
            : `Attributes of ${member.email} in ${org.name}: ${JSON.stringify(attributes)}`,
        )
      })
    })
}

async function findMember(ctx: CliContext, orgId: string, email: string): Promise<Member> {
  const member = await ctx.store.users.findMember(orgId, email)
  if (member === undefined) throw new NotFoundError(`User ${email} in this organization`)
  return member
}

const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/** `KEY=VALUE` (JSON when it parses, else text) or `KEY=` (remove). */
export function parseAttributePairs(pairs: readonly string[]): [string, unknown][] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=')
    const key = at < 0 ? pair : pair.slice(0, at)
    if (at < 0 || !ATTRIBUTE_KEY.test(key)) {
      throw new InputError(
        `"${pair}" is not KEY=VALUE with a key of letters, digits and underscores (KEY= removes an attribute)`,
        'attributes',
      )
    }
    const raw = pair.slice(at + 1)
    if (raw === '') return [key, undefined]
    try {
      return [key, JSON.parse(raw) as unknown]
    } catch {
      return [key, raw]
    }
  })
}
