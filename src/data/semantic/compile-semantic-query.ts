import type { DatasetDefinition, DomainDefinition } from '../../config/project-file-schema.js'
import { GatehouseError, InputError } from '../../domain/errors.js'
import { fieldKey, fieldLabel, resolveField } from './field-reference.js'
import type { DimensionField, DomainField, MeasureField } from './field-reference.js'
import { checkOperator, filterCondition } from './filter-condition.js'
import { datasetSource, dimensionSql, measureSql } from './field-sql.js'
import type { SqlDialect } from './field-sql.js'
import { planJoins } from './join-plan.js'
import { orderTerms } from './order-by.js'
import { outputNames } from './output-names.js'
import { quoteIdentifier } from './sql-identifier.js'
import { SqlParameters } from './sql-parameters.js'
import type { SemanticQuery } from './semantic-query.js'

export interface SemanticCompileOptions {
  readonly dialect: SqlDialect
  /** The most rows a query may ask for; a larger `limit` is refused. */
  readonly maxLimit: number
  /** Rows returned when the query sets no `limit` (at most `maxLimit`). */
  readonly defaultLimit: number
}

export interface CompiledColumn {
  readonly name: string
  readonly kind: 'dimension' | 'measure'
}

export interface CompiledSemanticQuery {
  readonly sql: string
  /** Bound to `$1`, `$2`… in order. */
  readonly params: readonly unknown[]
  /** The one connection every dataset of the query is on. */
  readonly connection: string
  /** The result's columns, in order: the dimensions, then the measures. */
  readonly columns: readonly CompiledColumn[]
  /**
   * The rows the caller asked for: pass it as the engine's `maxRows`. The SQL's
   * `LIMIT` is one more, so that the engine can say the result was truncated.
   */
  readonly maxRows: number
}

interface ResolvedFilter {
  readonly condition: (params: SqlParameters) => string
  readonly field: DomainField
}

/**
 * Compiles a standard-mode query (SPEC §5) over a domain into one SELECT for the
 * engine of the domain's connection. Pure: the domain is the contract, the
 * query is untrusted input, and every value of it reaches the SQL as a bound
 * parameter; only names from the domain and validated integers are written.
 */
export function compileSemanticQuery(
  domain: DomainDefinition,
  query: SemanticQuery,
  options: SemanticCompileOptions,
): CompiledSemanticQuery {
  if (options.dialect !== 'duckdb' && options.dialect !== 'postgres') {
    throw new GatehouseError('INTERNAL', `No semantic SQL dialect for engine ${String(options.dialect)}`)
  }
  const maxRows = rowLimit(query.limit, options)
  const dimensions = query.dimensions.map(
    (ref, i) => resolveField(domain, ref, ['dimension'], `dimensions[${i}]`) as DimensionField,
  )
  const measures = query.measures.map(
    (ref, i) => resolveField(domain, ref, ['measure'], `measures[${i}]`) as MeasureField,
  )
  // The base is what the rows are counted over: the first measure's dataset.
  const base = (measures[0] ?? dimensions[0])?.dataset
  if (base === undefined) {
    throw new InputError('A query needs at least one dimension or measure; describe_domain lists them', 'dimensions')
  }
  const selected: DomainField[] = [...dimensions, ...measures]
  refuseRepeats(selected)
  const fieldSql = (f: DomainField) => (f.kind === 'dimension' ? dimensionSql(f) : measureSql(f, base.name))
  const filters = query.filters.map((filter, i): ResolvedFilter => {
    const path = `filters[${i}]`
    checkOperator(filter, `${path}.op`)
    const field = resolveField(domain, filter.field, ['dimension', 'measure'], `${path}.field`)
    return {
      field,
      condition: (params) => filterCondition(fieldSql(field), filter, field, params, options.dialect, path),
    }
  })
  const order = orderTerms(
    domain,
    query.order_by,
    selected,
    [...query.dimensions, ...query.measures],
    outputNames(selected),
  )

  const used = [...selected, ...filters.map((f) => f.field)]
  oneConnection(domain, [base, ...used.map((f) => f.dataset)])
  const joins = planJoins(domain, base.name, new Set(used.map((f) => f.dataset.name)))
  const connection = oneConnection(domain, [base, ...joins.map((j) => j.dataset)])
  const source = (dataset: DatasetDefinition) =>
    datasetSource(dataset, [
      ...new Set(used.flatMap((f) => (f.kind === 'measure' && f.dataset === dataset ? [f.measure] : []))),
    ])

  const names = outputNames(selected)
  const params = new SqlParameters()
  const where = filters.filter((f) => f.field.kind === 'dimension').map((f) => f.condition(params))
  const having = filters.filter((f) => f.field.kind === 'measure').map((f) => f.condition(params))
  const aggregate = used.some((f) => f.kind === 'measure')
  const q = quoteIdentifier
  const selectList = selected.map((f, i) => `${fieldSql(f)} AS ${q(names[i] as string)}`)
  const sql = [
    `SELECT ${aggregate ? '' : 'DISTINCT '}${selectList.join(', ')}`,
    `FROM ${source(base)}`,
    ...joins.map(
      (j) =>
        `LEFT JOIN ${source(j.dataset)} ON ${q(j.parent)}.${q(j.parentColumn)} = ${q(j.dataset.name)}.${q(j.column)}`,
    ),
    ...(where.length > 0 ? [`WHERE ${where.join(' AND ')}`] : []),
    ...(aggregate && dimensions.length > 0 ? [`GROUP BY ${dimensions.map((_, i) => i + 1).join(', ')}`] : []),
    ...(having.length > 0 ? [`HAVING ${having.join(' AND ')}`] : []),
    `ORDER BY ${order.join(', ')}`,
    `LIMIT ${maxRows + 1}`,
  ].join('\n')
  return {
    sql,
    params: params.values,
    connection,
    columns: selected.map((f, i) => ({ name: names[i] as string, kind: f.kind })),
    maxRows,
  }
}

function rowLimit(limit: number | undefined, options: SemanticCompileOptions): number {
  if (limit === undefined) return Math.min(options.defaultLimit, options.maxLimit)
  // Written into the SQL as a literal, so it is checked here whatever validated the request.
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InputError(`limit must be a positive integer; got ${String(limit)}`, 'limit')
  }
  if (limit > options.maxLimit) {
    throw new InputError(`limit ${limit} is above the maximum of ${options.maxLimit} rows; ask for fewer`, 'limit')
  }
  return limit
}

function refuseRepeats(selected: readonly DomainField[]): void {
  const seen = new Set<string>()
  for (const field of selected) {
    const key = fieldKey(field)
    if (seen.has(key)) {
      throw new InputError(
        `${field.kind === 'dimension' ? 'Dimension' : 'Measure'} "${fieldLabel(field)}" is selected twice`,
      )
    }
    seen.add(key)
  }
}

function oneConnection(domain: DomainDefinition, datasets: readonly DatasetDefinition[]): string {
  const connections = new Set(datasets.map((d) => d.connection))
  if (connections.size > 1) {
    const named = [...new Set(datasets)].map((d) => `${d.name} (${d.connection})`)
    throw new InputError(
      `One query reads one connection, but these datasets of domain "${domain.name}" are on different ones: ` +
        named.join(', '),
    )
  }
  return [...connections][0] as string
}
