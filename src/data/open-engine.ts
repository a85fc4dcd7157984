import { GatehouseError } from '../domain/errors.js'
import type { ConnectionDefinition } from '../config/project-file-schema.js'
import { expandVariables } from '../config/config-references.js'
import type { Engine } from './engine.js'
import { DuckDbEngine } from './engines/duckdb/duckdb-engine.js'
import { PostgresEngine } from './engines/postgres/postgres-engine.js'

export interface OpenEngineOptions {
  /** Where `${VAR}` in a connection URL is resolved: at open time, so no password is ever stored. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly statementTimeoutMs: number
}

/** The engine error that reaches an agent names the connection only; the reason goes to the log. */
export class EngineUnavailableError extends GatehouseError<'ENGINE_UNAVAILABLE'> {
  override readonly name = 'EngineUnavailableError'
  /** What an operator needs to fix it (shown by `apply` and `/readyz`, never to an agent). */
  readonly reason: string
  constructor(connection: string, reason: string, cause?: unknown) {
    super(
      'ENGINE_UNAVAILABLE',
      `Connection "${connection}" is unavailable; the administrator can find why in the log`,
      {
        detail: reason,
        cause,
      },
    )
    this.reason = reason
  }
}

/** Opens a connection of a project definition, read-only, with every engine-level defence on. */
export async function openEngine(connection: ConnectionDefinition, options: OpenEngineOptions): Promise<Engine> {
  let engine: Engine
  if (connection.engine === 'duckdb') {
    try {
      engine = await DuckDbEngine.open(connection.path)
    } catch (error) {
      throw new EngineUnavailableError(connection.name, (error as Error).message, error)
    }
  } else {
    const url = expandVariables(connection.url, options.env)
    if (!url.ok) throw new EngineUnavailableError(connection.name, `url: ${url.problem}`)
    engine = PostgresEngine.open(url.value, {
      statementTimeoutMs: connection.statement_timeout_ms ?? options.statementTimeoutMs,
      ...(connection.max_connections !== undefined && { maxConnections: connection.max_connections }),
    })
  }
  // A role that could bypass row-level security or write, or a database file whose functions would run in
  // place of built-ins, is refused when the connection opens (SPEC §5).
  let problems: string[]
  try {
    problems = await engine.check()
  } catch (error) {
    await engine.close()
    throw new EngineUnavailableError(connection.name, `cannot connect: ${(error as Error).message}`, error)
  }
  if (problems.length > 0) {
    await engine.close()
    const what = engine.kind === 'postgres' ? 'role' : 'database'
    throw new EngineUnavailableError(connection.name, `unsafe ${what}: ${problems.join('; ')}`)
  }
  return engine
}
