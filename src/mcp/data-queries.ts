import { GatehouseError } from '../domain/errors.js'
import type { ConnectionDefinition, DomainDefinition } from '../config/project-file-schema.js'
import type { QueryResult } from '../data/engine.js'
import { findConnection } from '../data/project/loaded-project.js'
import type { LoadedProject } from '../data/project/loaded-project.js'
import type { SemanticQuery } from '../data/semantic/semantic-query.js'
import { compileSemanticQuery } from '../data/semantic/compile-semantic-query.js'
import type { CompiledSemanticQuery } from '../data/semantic/compile-semantic-query.js'
import { querySignal, rowLimit } from './project-scope.js'
import { connectionAccess } from './data-security.js'
import { restrictDomain } from '../authz/domain-visibility.js'
import { visibleDomains } from '../authz/data-access.js'
import type { ToolContext } from './tool-definition.js'

/**
 * The two ways a tool reads data, shared by `query`, `run_sql` and
 * `run_saved_query`, so that a saved query runs exactly as the same query
 * asked directly would: same limits, same guard, same timeout.
 */

const DEFAULT_LIMIT = 1000

/** The connection a domain's datasets are on (the compiler checks that a query reads only one). */
export function domainConnection(project: LoadedProject, domain: DomainDefinition): ConnectionDefinition {
  const connection = findConnection(project, domain.datasets[0]?.connection ?? '')
  if (connection === undefined) throw new GatehouseError('INTERNAL', `domain ${domain.name} has no connection`)
  return connection
}

/** Compiles a standard-mode query with the connection's row limits; `dialect` is the engine's kind. */
export function compileStandardQuery(
  ctx: ToolContext,
  connection: ConnectionDefinition,
  domain: DomainDefinition,
  query: SemanticQuery,
  dialect: 'duckdb' | 'postgres',
): CompiledSemanticQuery {
  const maxRows = rowLimit(ctx, connection)
  return compileSemanticQuery(
    domain,
    { ...query, ...(query.limit !== undefined && { limit: Math.min(query.limit, maxRows) }) },
    { dialect, maxLimit: maxRows, defaultLimit: Math.min(DEFAULT_LIMIT, maxRows) },
  )
}

/** Rows and the row rules that filtered them (for the call's audit record). */
export interface DataAnswer {
  readonly result: QueryResult
  readonly rules: readonly string[]
}

/**
 * Runs a standard-mode query over a domain the caller has already found
 * visible. The domain is first narrowed to what the principal may see (a
 * hidden dimension is then unknown, as one that does not exist), and the
 * compiled SQL is rewritten under the principal's restrictions like any other.
 */
export async function runStandardQuery(
  ctx: ToolContext,
  project: LoadedProject,
  domain: DomainDefinition,
  query: SemanticQuery,
): Promise<DataAnswer> {
  const connection = domainConnection(project, domain)
  return ctx.deps.data.use(project, connection, async (engine) => {
    const access = await connectionAccess(ctx, project, connection, engine)
    const visible = restrictDomain(domain, access.restrictions, access.catalog)
    if (visible === undefined) throw domainNotFound(domain.name)
    const compiled = compileStandardQuery(ctx, connection, visible, query, engine.kind)
    const { result, appliedRules } = await engine.restrictedQuery(compiled.sql, {
      restrictions: access.restrictions,
      // Compiled SQL passes the same guard as an agent's, with its own parameters (SPEC §5).
      guard: { allowParameters: true },
      maxRows: compiled.maxRows,
      params: compiled.params,
      signal: querySignal(ctx, ctx.deps.limits.statementTimeoutMs),
    })
    return { result, rules: appliedRules }
  })
}

/** The domain as the principal may see it; a domain with nothing visible is not found, like an unknown one. */
export async function visibleDomain(
  ctx: ToolContext,
  project: LoadedProject,
  domain: DomainDefinition,
): Promise<DomainDefinition> {
  const connection = domainConnection(project, domain)
  const visible = await ctx.deps.data.use(project, connection, async (engine) => {
    const access = await connectionAccess(ctx, project, connection, engine)
    return restrictDomain(domain, access.restrictions, access.catalog)
  })
  if (visible === undefined) throw domainNotFound(domain.name)
  return visible
}

/**
 * The domains of a project as the principal sees them (SLS): each narrowed to
 * its visible datasets, dimensions and measures, and those with nothing
 * visible left out. One catalog read per connection.
 */
export async function principalDomains(ctx: ToolContext, project: LoadedProject): Promise<DomainDefinition[]> {
  const domains = visibleDomains(ctx.principal, project.definition)
  const byConnection = new Map<string, DomainDefinition[]>()
  for (const domain of domains) {
    const name = domainConnection(project, domain).name
    byConnection.set(name, [...(byConnection.get(name) ?? []), domain])
  }
  const visible = new Map<DomainDefinition, DomainDefinition | undefined>()
  for (const [name, group] of byConnection) {
    const connection = findConnection(project, name) as ConnectionDefinition
    await ctx.deps.data.use(project, connection, async (engine) => {
      const access = await connectionAccess(ctx, project, connection, engine)
      for (const domain of group) visible.set(domain, restrictDomain(domain, access.restrictions, access.catalog))
    })
  }
  return domains.flatMap((d) => visible.get(d) ?? [])
}

function domainNotFound(name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', `Domain "${name}" not found; list_domains shows the ones you can use`)
}

/** Runs dev-mode SQL on a connection the caller has already found visible, under the principal's restrictions. */
export async function runDevQuery(
  ctx: ToolContext,
  project: LoadedProject,
  connection: ConnectionDefinition,
  sql: string,
  limit: number | undefined,
): Promise<DataAnswer> {
  return ctx.deps.data.use(project, connection, async (engine) => {
    const access = await connectionAccess(ctx, project, connection, engine)
    const { result, appliedRules } = await engine.restrictedQuery(sql, {
      restrictions: access.restrictions,
      // User-written SQL carries no placeholders: values go into the text, checked by the guard like the rest.
      guard: { allowParameters: false },
      maxRows: rowLimit(ctx, connection, limit),
      signal: querySignal(ctx, ctx.deps.limits.statementTimeoutMs),
    })
    return { result, rules: appliedRules }
  })
}

/**
 * What `run_sql` would refuse is refused here, without running anything: the
 * guard over the principal's visible tables and the rewrite, so a saved query
 * that names a hidden table or column is refused when it is saved.
 */
export async function guardDevSql(
  ctx: ToolContext,
  project: LoadedProject,
  connection: ConnectionDefinition,
  sql: string,
): Promise<void> {
  await ctx.deps.data.use(project, connection, async (engine) => {
    const access = await connectionAccess(ctx, project, connection, engine)
    await engine.rewrite(sql, { restrictions: access.restrictions, guard: { allowParameters: false } })
  })
}
