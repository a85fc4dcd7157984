import { GatehouseError } from '../domain/errors.js'
import type { ConnectionDefinition, DomainDefinition } from '../config/project-file-schema.js'
import type { QueryResult } from '../data/engine.js'
import { findConnection } from '../data/project/loaded-project.js'
import type { LoadedProject } from '../data/project/loaded-project.js'
import type { SemanticQuery } from '../data/semantic/semantic-query.js'
import { compileSemanticQuery } from '../data/semantic/compile-semantic-query.js'
import type { CompiledSemanticQuery } from '../data/semantic/compile-semantic-query.js'
import { querySignal, rowLimit } from './project-scope.js'
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

/** Runs a standard-mode query over a domain the caller has already found visible. */
export async function runStandardQuery(
  ctx: ToolContext,
  project: LoadedProject,
  domain: DomainDefinition,
  query: SemanticQuery,
): Promise<QueryResult> {
  const connection = domainConnection(project, domain)
  return ctx.deps.data.use(project, connection, async (engine) => {
    const compiled = compileStandardQuery(ctx, connection, domain, query, engine.kind)
    return engine.query(compiled.sql, {
      // Compiled SQL passes the same guard as an agent's, with its own parameters (SPEC §5).
      guard: { allowParameters: true },
      maxRows: compiled.maxRows,
      params: compiled.params,
      signal: querySignal(ctx, ctx.deps.limits.statementTimeoutMs),
    })
  })
}

/** Runs dev-mode SQL on a connection the caller has already found visible. */
export async function runDevQuery(
  ctx: ToolContext,
  project: LoadedProject,
  connection: ConnectionDefinition,
  sql: string,
  limit: number | undefined,
): Promise<QueryResult> {
  return ctx.deps.data.use(project, connection, async (engine) => {
    return engine.query(sql, {
      // User-written SQL carries no placeholders: values go into the text, checked by the guard like the rest.
      guard: { allowParameters: false },
      maxRows: rowLimit(ctx, connection, limit),
      signal: querySignal(ctx, ctx.deps.limits.statementTimeoutMs),
    })
  })
}

/** The dev-mode guard alone, without running anything: what `run_sql` would refuse is refused here. */
export async function guardDevSql(
  ctx: ToolContext,
  project: LoadedProject,
  connection: ConnectionDefinition,
  sql: string,
): Promise<void> {
  await ctx.deps.data.use(project, connection, (engine) => engine.guard(sql, { allowParameters: false }))
}
