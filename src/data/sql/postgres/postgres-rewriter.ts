import { parse } from 'libpg-query'
import { deparseSync } from 'pgsql-deparser'
import { GatehouseError } from '../../../domain/errors.js'
import type { ConnectionRestrictions, RewrittenQuery } from '../restrictions.js'
import { SqlRefusedError } from '../sql-refused-error.js'
import { parsePostgres } from './postgres-parser.js'
import { nestingLimited, rewritePostgresSelect } from './postgres-rewrite.js'

export interface PostgresRewriterOptions {
  /** The database name, accepted as a three-part qualifier. */
  readonly database: string
  /** The schema an unqualified table name resolves to. */
  readonly defaultSchema: string
  /** Values of the query's own `$1…$k` (a custom tool's parameters); none in dev mode. */
  readonly params?: readonly unknown[]
}

/**
 * Parses one SELECT (libpg-query), applies the principal's restrictions
 * (`rewritePostgresSelect`) and prints it back (pgsql-deparser).
 */
export async function rewritePostgresSql(
  sql: string,
  restrictions: ConnectionRestrictions,
  options: PostgresRewriterOptions,
): Promise<RewrittenQuery> {
  return rewriteParsedPostgres(await parsePostgres(sql), restrictions, options)
}

/**
 * `rewritePostgresSql` for a query already parsed (by `parsePostgres`, for the
 * guard). The printed SQL is parsed again and must give the same tree: a
 * deparser slip (a lost parenthesis, a dropped clause) would change what the
 * query reads, so any difference refuses the query instead.
 */
export async function rewriteParsedPostgres(
  ast: unknown,
  restrictions: ConnectionRestrictions,
  options: PostgresRewriterOptions,
): Promise<RewrittenQuery> {
  const userParams = options.params ?? []
  const rewrite = rewritePostgresSelect(ast, restrictions, await parsePredicates(ast, restrictions, options), {
    database: options.database,
    defaultSchema: options.defaultSchema,
    parameters: userParams.length,
  })
  let text: string
  try {
    text = nestingLimited(() => deparseSync(rewrite.ast, { pretty: false }))
  } catch (error) {
    if (error instanceof SqlRefusedError) throw error
    throw new SqlRefusedError('The query cannot be run under row-level security (it could not be printed)', {
      detail: (error as Error).message,
    })
  }
  const reparsed = await parse(text).catch((error: Error) => error)
  const difference =
    reparsed instanceof Error
      ? `does not parse (${reparsed.message})`
      : nestingLimited(() => firstDifference(rewrite.ast, reparsed, ''))
  if (difference !== undefined) {
    throw new SqlRefusedError('The query cannot be run under row-level security (it could not be printed exactly)', {
      detail: `the reprint ${difference}: ${text}`,
    })
  }
  return { sql: text, params: [...userParams, ...rewrite.params], appliedRules: rewrite.appliedRules }
}

/**
 * The row predicates of the tables the query names, as the rewrite takes
 * them: the WHERE clause of `SELECT 1 FROM t WHERE <predicate>`, which must
 * be that and nothing more (no second statement, no trailing clause).
 */
async function parsePredicates(
  ast: unknown,
  restrictions: ConnectionRestrictions,
  options: PostgresRewriterOptions,
): Promise<Map<string, unknown>> {
  const sqls = new Set<string>()
  for (const ref of nestingLimited(() => rangeVars(ast))) {
    const key = `${ref.schemaname ?? options.defaultSchema}.${ref.relname ?? ''}`
    for (const alternative of restrictions.tables.get(key)?.alternatives ?? []) {
      if (alternative.predicate !== null) sqls.add(alternative.predicate.sql)
    }
  }
  const out = new Map<string, unknown>()
  for (const predicate of sqls) {
    const parsed = (await parse(`SELECT 1 FROM t WHERE ${predicate}`).catch(() => undefined)) as
      { stmts?: { stmt?: { SelectStmt?: Record<string, unknown> } }[] } | undefined
    const select = parsed?.stmts?.length === 1 ? parsed.stmts[0]?.stmt?.SelectStmt : undefined
    const keys = Object.keys(select ?? {}).sort()
    if (select === undefined || keys.join() !== 'fromClause,limitOption,op,targetList,whereClause') {
      throw new GatehouseError('INTERNAL', 'A row rule is not a single SQL condition', { detail: predicate })
    }
    out.set(predicate, select.whereClause)
  }
  return out
}

function rangeVars(value: unknown): { schemaname?: string; relname?: string }[] {
  if (Array.isArray(value)) return value.flatMap(rangeVars)
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([key, v]) => (key === 'RangeVar' ? [v] : rangeVars(v)))
}

/** Source positions, which a reprint moves. */
const POSITIONS: ReadonlySet<string> = new Set([
  'location',
  'name_location',
  'stmt_location',
  'stmt_len',
  'list_start',
  'list_end',
  'rexpr_list_start',
  'rexpr_list_end',
])

/**
 * Where two ASTs differ (`differs at <path>`), ignoring positions and the
 * defaults libpg-query leaves out (false, 0, '', []); undefined when they are the same tree.
 */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  const here = `differs at ${path || 'the root'}`
  if (Array.isArray(a) || Array.isArray(b)) {
    const [x, y] = [a ?? [], b ?? []]
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return here
    for (let i = 0; i < x.length; i++) {
      const d = firstDifference(x[i], y[i], `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const key of keys) {
      if (POSITIONS.has(key)) continue
      const d = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      )
      if (d !== undefined) return d
    }
    return undefined
  }
  return (isDefault(a) && isDefault(b)) || a === b ? undefined : here
}

function isDefault(value: unknown): boolean {
  return value === undefined || value === false || value === 0 || value === ''
}
