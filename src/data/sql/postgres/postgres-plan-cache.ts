import { GatehouseError } from '../../../domain/errors.js'
import type { ConnectionRestrictions, RewrittenQuery, SessionValues } from '../restrictions.js'
import { guardPostgresSelect } from './postgres-guard.js'
import { parsePostgres } from './postgres-parser.js'
import { rewriteParsedPostgres } from './postgres-rewriter.js'

export interface PostgresPlanInput {
  readonly restrictions: ConnectionRestrictions
  /** The dev-mode guard, run over the principal's visible tables only when a query is planned. */
  readonly guard: { readonly allowParameters: boolean }
  /** Values of the query's own `$1…$k` (compiled queries, custom tools); only their number shapes the plan. */
  readonly params?: readonly unknown[]
  /** The database name, accepted as a three-part qualifier. */
  readonly database: string
  /** The schema an unqualified table name resolves to. */
  readonly defaultSchema: string
}

type SessionField = Exclude<keyof SessionValues, 'headers'>

/**
 * Where one bound value comes from: a row rule's value (table key,
 * alternative index, value index) or a session function's (its field of
 * `SessionValues`, or the request header it reads).
 */
type Source =
  | { readonly table: string; readonly alternative: number; readonly value: number }
  | { readonly field: SessionField }
  | { readonly header: string }

/** What one query rewrites to under one shape of restrictions; values are bound per call. */
interface Plan {
  readonly sql: string
  /** Whose values bind the placeholders after the query's own, in order. */
  readonly bound: readonly Source[]
  readonly appliedRules: readonly string[]
}

const PLAN_CACHE_SIZE = 1000
/** Longer queries are planned every time: a cache of their keys would hold megabytes. */
const PLAN_CACHE_MAX_SQL = 20_000

/**
 * Parses, guards and rewrites a principal's PostgreSQL query once per query
 * text and shape of restrictions (tables, policies, rules, columns, rule
 * texts, how many values each binds, which session functions exist), then
 * only binds the values of each call, as `DuckDbRewriter` does: parsing,
 * rewriting, printing and re-parsing cost ~0.1 ms a call, a large share of a
 * point lookup.
 *
 * A plan is a function of its key alone, so PostgreSQL's catalog changing
 * under it is harmless: the guard and the rewrite read the principal's
 * visible tables and columns from the restrictions (part of the key), never
 * the server's catalog, and the database and default schema they resolve
 * names against are part of the key too. A table altered or dropped since
 * shows when PostgreSQL runs the SQL, as it would without the cache.
 *
 * The rewrite binds every value and never writes one into the SQL
 * (`RowPredicate`), so a plan is made by rewriting restrictions whose values
 * are markers: each parameter the rewrite returns says where its value comes
 * from. Refusals are not kept: a refused query is planned again each time.
 */
export class PostgresPlanCache {
  readonly #plans = new Map<string, Plan>()

  async rewrite(sql: string, input: PostgresPlanInput): Promise<RewrittenQuery> {
    const userParams = input.params ?? []
    const key = planKey(sql, userParams.length, input)
    let plan = this.#plans.get(key)
    if (plan === undefined) {
      plan = await planQuery(sql, input)
      if (sql.length <= PLAN_CACHE_MAX_SQL) {
        if (this.#plans.size >= PLAN_CACHE_SIZE) this.#plans.delete(this.#plans.keys().next().value ?? '')
        this.#plans.set(key, plan)
      }
    } else {
      // Least recently used first: a hit moves the plan to the end of the map's order.
      this.#plans.delete(key)
      this.#plans.set(key, plan)
    }
    const values = plan.bound.map((source) => boundValue(source, input.restrictions))
    return { sql: plan.sql, params: [...userParams, ...values], appliedRules: [...plan.appliedRules] }
  }
}

async function planQuery(sql: string, input: PostgresPlanInput): Promise<Plan> {
  const ast = await parsePostgres(sql)
  const { database, defaultSchema, restrictions } = input
  const visible = { database, defaultSchema, tables: new Set(restrictions.tables.keys()) }
  // The session functions pass the guard here because the rewrite replaces every call of them.
  guardPostgresSelect(ast, visible, { allowParameters: input.guard.allowParameters, sessionFunctions: true })
  const userParams = input.params ?? []
  const rewritten = await rewriteParsedPostgres(ast, marked(restrictions), {
    database,
    defaultSchema,
    params: userParams,
  })
  const bound = rewritten.params.slice(userParams.length).map((value) => {
    if (value instanceof Marker) return value.source
    throw new GatehouseError('INTERNAL', 'A rewritten query binds a value of unknown origin')
  })
  return { sql: rewritten.sql, bound, appliedRules: rewritten.appliedRules }
}

/** Stands for a value in the restrictions a plan is made from; the rewrite only passes values on. */
class Marker {
  readonly source: Source
  constructor(source: Source) {
    this.source = source
  }
}

/** Typed as a string, which both a rule's value and a session function's may be. */
function mark(source: Source): string {
  return new Marker(source) as unknown as string
}

/** The same restrictions, every value (rule or session function) replaced by its marker. */
function marked(restrictions: ConnectionRestrictions): ConnectionRestrictions {
  const tables = new Map(
    [...restrictions.tables].map(([table, restriction]) => [
      table,
      {
        ...restriction,
        alternatives: restriction.alternatives.map((a, alternative) =>
          a.predicate === null
            ? a
            : {
                ...a,
                predicate: {
                  sql: a.predicate.sql,
                  values: a.predicate.values.map((_, value) => mark({ table, alternative, value })),
                },
              },
        ),
      },
    ]),
  )
  const session = restrictions.session
  if (session === undefined) return { tables }
  const field = (name: SessionField) => mark({ field: name })
  const headers = { get: (header: string) => mark({ header }) } as unknown as ReadonlyMap<string, string>
  return {
    tables,
    session: {
      username: field('username'),
      userEmail: field('userEmail'),
      userId: field('userId'),
      orgId: field('orgId'),
      tenantId: field('tenantId'),
      // Absent, the function does not exist (outside custom tools): the plan's key says which.
      ...(session.externalToken === undefined ? {} : { externalToken: field('externalToken') }),
      headers,
    },
  }
}

/** The current call's value for `source`: its restrictions have the plan's shape, so it exists. */
function boundValue(source: Source, restrictions: ConnectionRestrictions): unknown {
  const session = restrictions.session
  if ('table' in source) {
    const values = restrictions.tables.get(source.table)?.alternatives[source.alternative]?.predicate?.values
    if (values !== undefined && source.value < values.length) return values[source.value]
  } else if ('header' in source) {
    if (session !== undefined) return session.headers.get(source.header) ?? null
  } else {
    const value = session?.[source.field]
    if (value !== undefined) return value
  }
  throw new GatehouseError('INTERNAL', 'A query plan binds a value its restrictions lack')
}

/** Everything a plan depends on, never a value: the restrictions' shape and which session functions exist. */
function planKey(sql: string, parameterCount: number, input: PostgresPlanInput): string {
  const shape = [...input.restrictions.tables].map(([key, table]) => [
    key,
    table.schema,
    table.table,
    table.alternatives.map((a) => [a.policy, a.rules, a.columns, a.predicate?.sql ?? null, a.predicate?.values.length]),
  ])
  const session = input.restrictions.session
  return JSON.stringify([
    sql,
    parameterCount,
    input.guard.allowParameters,
    input.database,
    input.defaultSchema,
    session === undefined ? null : session.externalToken !== undefined,
    shape,
  ])
}
