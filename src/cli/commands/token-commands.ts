import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { collect, parseKeyValues } from '../collect-option.js'
import { readStdin } from '../read-stdin.js'
import { InputError } from '../../domain/errors.js'
import { SigningKeys } from '../../auth/tokens/signing-keys.js'
import { ProjectTokenMinter } from '../../auth/project-tokens/project-token-minter.js'

interface MintOptions {
  project: string
  secretStdin?: boolean
  tenant?: string
  endUser?: string
  orgUser?: string
  expires?: string
  domains?: string
  param: string[]
  permissions?: string
  json?: boolean
}

/** `all`, `none`, `include:a,b` or `exclude:a,b`: the request's `semanticDomainAccess`. */
function domainAccess(text: string): { mode: string; domains?: string[] } {
  const colon = text.indexOf(':')
  const mode = colon < 0 ? text : text.slice(0, colon)
  if (colon < 0) return { mode }
  return {
    mode,
    domains: text
      .slice(colon + 1)
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== ''),
  }
}

/** `k=v` pairs: the value is JSON when it parses as JSON, else text (like `run tool --param`). */
/**
 * `token mint` (SPEC §3.3): a project token, through the same minter (checks,
 * ceiling, audit) as `POST /api/v1/token`. The secret is read from stdin,
 * never from the command line, where it would land in shell history.
 */
export function registerTokenCommands(program: Command, output: Output): void {
  const token = program.command('token').description('Project tokens for embedded agents')

  token
    .command('mint')
    .description('Mint a project token, as POST /api/v1/token does; prints the token')
    .requiredOption('--project <project>', 'project id or name')
    .option('--secret-stdin', 'read the project secret from standard input (required)')
    .option('--tenant <tenant>', 'a tenant (id or name): the token acts as a tenant user')
    .option('--end-user <id>', "the tenant's end user, as your product names them")
    .option('--org-user <user>', 'an org member (id or email): needs a secret created with --allow-org-users')
    .option('--expires <seconds>', 'lifetime in seconds (default 3600, at most 86400)')
    .option('--domains <access>', 'all, none, include:a,b or exclude:a,b')
    .option('--param <k=v>', 'a security parameter (repeatable); JSON when it parses as JSON', collect, [])
    .option('--permissions <list>', 'read, write, or a list like data:read,sql:read (default read)')
    .option('--json', 'print JSON: { accessToken, tokenType, expiresAt }')
    .action(async (opts: MintOptions, cmd: Command) => {
      if (opts.secretStdin !== true) {
        throw new InputError('the project secret is read from standard input: pass --secret-stdin', 'secret')
      }
      const projectSecret = (await readStdin(output.input)).trim()
      const expires = opts.expires === undefined ? undefined : Number(opts.expires)
      const request = {
        type: 'project',
        projectId: opts.project,
        projectSecret,
        ...(opts.orgUser !== undefined && { orgUserId: opts.orgUser }),
        ...(opts.tenant !== undefined && { tenantId: opts.tenant }),
        ...(opts.endUser !== undefined && { endUserId: opts.endUser }),
        ...(expires !== undefined && { tokenExpiry: expires }),
        ...(opts.domains !== undefined && { semanticDomainAccess: domainAccess(opts.domains) }),
        ...(opts.param.length > 0 && { securityParams: parseKeyValues(opts.param, '--param') }),
        ...(opts.permissions !== undefined && { permissions: opts.permissions }),
      }
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const publicUrl = ctx.config.server.public_url
        const keys = new SigningKeys(ctx.store.signingKeys, { issuer: publicUrl, audience: `${publicUrl}/mcp` })
        const minted = await new ProjectTokenMinter(ctx.store, keys, ctx.audit).mint(request, { via: 'cli' })
        output.out(opts.json === true ? JSON.stringify(minted) : minted.accessToken)
      })
    })
}
