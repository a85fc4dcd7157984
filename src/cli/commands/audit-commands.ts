import type { Command } from 'commander'
import type { GlobalOptions } from '../cli-context.js'
import { withContext } from '../cli-context.js'
import type { Output } from '../output.js'
import { formatCsv, formatTable } from '../output.js'
import { GatehouseError, InputError } from '../../domain/errors.js'
import { verifyAudit, auditHeads } from '../../audit/audit-verify.js'
import { purgeAudit } from '../../audit/audit-retention.js'
import { decisionOf, readAuditLog } from '../../audit/audit-log.js'
import type { AuditLogEntry } from '../../audit/audit-log.js'
import type { AuditDecision } from '../../audit/audit-event.js'

const DURATION = /^(\d+)(s|m|h|d)$/
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DECISIONS = ['allow', 'deny', 'error'] as const

export function parseSince(text: string, now: number): number {
  const match = DURATION.exec(text)
  if (match !== null) return now - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  // A bare number is neither a duration nor a date (Date.parse would read "5" as the year 2001).
  const at = /^\d+$/.test(text) ? Number.NaN : Date.parse(text)
  if (Number.isNaN(at))
    throw new InputError(`--since: "${text}" is not a duration like 30m, 24h, 7d or a date`, 'since')
  return at
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** One line of `gatehouse log`: the entry with the fields people filter on lifted out of `data`. */
function logLine(entry: AuditLogEntry) {
  const { data } = entry
  const principal = (data.principal ?? {}) as Record<string, unknown>
  return {
    id: entry.id,
    at: new Date(entry.at).toISOString(),
    type: entry.type,
    org_id: entry.org_id,
    user: str(principal.email) ?? str(principal.user_id) ?? str(data.user_id),
    key_prefix: str(principal.key_prefix) ?? str(data.key_prefix),
    tool: str(data.tool),
    decision: str(decisionOf(entry)),
    reason: str(data.reason),
    ip: str(data.ip),
    duration_ms: typeof data.duration_ms === 'number' ? data.duration_ms : null,
    chain_id: entry.chain_id,
    chain_seq: entry.chain_seq,
    data,
  }
}

export function registerAuditCommands(program: Command, output: Output): void {
  program
    .command('log')
    .description('Read the audit log, newest first')
    .option('--since <when>', 'a duration (30m, 24h, 7d) or a date', '24h')
    .option('--org <org>', 'only this organization (name or id)')
    .option('--user <user>', 'only this user (email or id)')
    .option('--tool <tool>', 'only calls of this tool')
    .option('--decision <decision>', 'allow, deny or error')
    .option('--limit <n>', 'at most this many records', '100')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(
      async (
        opts: {
          since: string
          org?: string
          user?: string
          tool?: string
          decision?: string
          limit: string
          json?: boolean
          csv?: boolean
        },
        cmd: Command,
      ) => {
        const limit = Number(opts.limit)
        if (!Number.isInteger(limit) || limit < 1)
          throw new InputError(`--limit: "${opts.limit}" is not a positive integer`)
        if (opts.decision !== undefined && !(DECISIONS as readonly string[]).includes(opts.decision)) {
          throw new InputError(`--decision: "${opts.decision}" is not one of allow, deny, error`)
        }
        if (opts.json === true && opts.csv === true) throw new InputError('Choose one of --json and --csv')
        const since = parseSince(opts.since, Date.now())
        await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
          const orgId = opts.org === undefined ? undefined : (await ctx.org(opts.org)).id
          const entries = (
            await readAuditLog(ctx.store, {
              ...(orgId !== undefined && { orgId }),
              since,
              ...(opts.user !== undefined && { user: opts.user }),
              ...(opts.tool !== undefined && { tool: opts.tool }),
              ...(opts.decision !== undefined && { decision: opts.decision as AuditDecision }),
              limit,
            })
          ).map(logLine)
          const columns = ['at', 'type', 'user', 'key_prefix', 'tool', 'decision', 'reason', 'ip', 'duration_ms']
          if (opts.json === true) output.out(JSON.stringify(entries))
          else if (opts.csv === true)
            output.out(formatCsv(entries as never, [...columns, 'org_id', 'chain_id', 'chain_seq']))
          else output.out(entries.length === 0 ? 'No audit records match' : formatTable(entries as never, columns))
        })
      },
    )

  const audit = program.command('audit').description('The tamper-evident audit log')

  audit
    .command('verify')
    .description('Check every hash chain; report the first broken link (exit 1)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        // Records this very process queued must not count: flush first.
        await ctx.audit.flush()
        const report = await verifyAudit(ctx.store)
        if (opts.json === true) output.out(JSON.stringify(report))
        else if (report.ok) {
          const records = report.chains.reduce((n, c) => n + c.records, 0)
          output.out(`OK: ${report.chains.length} chains, ${records} records verified`)
        }
        if (report.broken !== undefined) {
          const { chain_id, chain_seq, reason } = report.broken
          throw new GatehouseError(
            'AUDIT_CHAIN_BROKEN',
            `audit chain ${chain_id} is broken at seq ${chain_seq}: ${reason}`,
          )
        }
      })
    })

  audit
    .command('head')
    .description('Print each chain head (keep them elsewhere to detect truncation)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        await ctx.audit.flush()
        const heads = (await auditHeads(ctx.store)).map((h) => ({ ...h, at: new Date(h.at).toISOString() }))
        output.out(
          opts.json === true ? JSON.stringify(heads) : formatTable(heads, ['chain_id', 'last_seq', 'hash', 'at']),
        )
      })
    })

  audit
    .command('purge')
    .description(
      'Delete records older than audit.retention_days, leaving a checkpoint (the server also does this daily)',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd.optsWithGlobals<GlobalOptions>(), output, async (ctx) => {
        const report = await purgeAudit(ctx.store, ctx.audit, { retentionDays: ctx.config.audit.retention_days })
        const purged = report.chains.reduce((n, c) => n + c.purged_count, 0)
        output.out(
          opts.json === true
            ? JSON.stringify(report)
            : `Purged ${purged} records older than ${new Date(report.cutoff).toISOString()} from ${report.chains.length} chains`,
        )
      })
    })
}
