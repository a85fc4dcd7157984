import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { CliContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatTable } from '../output.js'
import { SigningKeys } from '../../auth/tokens/signing-keys.js'
import type { SigningKeyView } from '../../auth/tokens/signing-keys.js'

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

/** Public facts only: a view never carries key material. */
function keyJson(view: SigningKeyView) {
  return {
    kid: view.kid,
    alg: view.alg,
    status: view.status,
    created_at: iso(view.createdAt),
    retired_at: iso(view.retiredAt),
    published_until: iso(view.publishedUntil),
  }
}

function signingKeys(ctx: CliContext): SigningKeys {
  const publicUrl = ctx.config.server.public_url
  return new SigningKeys(ctx.store.signingKeys, { issuer: publicUrl, audience: `${publicUrl}/mcp` })
}

/** `signing-keys rotate|list` (SPEC §3.3): the ES256 keys of every JWT Gatehouse issues. */
export function registerSigningKeyCommands(program: Command, output: Output): void {
  const keys = program
    .command('signing-keys')
    .description('ES256 keys of the tokens Gatehouse signs (the old key stays published until its tokens expire)')

  keys
    .command('rotate')
    .description('Make a new key current; the old one stays in the JWKS until its last token has expired')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const view = await signingKeys(ctx).rotate()
        output.out(opts.json === true ? JSON.stringify(keyJson(view)) : `Signing key ${view.kid} is now current`)
      })
    })

  keys
    .command('list')
    .description('List the signing keys (public facts only)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const rows = (await signingKeys(ctx).list()).map(keyJson)
        output.out(
          opts.json === true
            ? JSON.stringify(rows)
            : formatTable(rows, ['kid', 'alg', 'status', 'created_at', 'retired_at', 'published_until']),
        )
      })
    })
}
