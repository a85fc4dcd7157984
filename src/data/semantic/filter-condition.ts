import { InputError } from '../../domain/errors.js'
import type { DomainField } from './field-reference.js'
import { containsValue, listValue, nullTestValue, rangeValue, scalarValue } from './filter-value.js'
import { FILTER_OPERATORS } from './semantic-query.js'
import type { SemanticFilter } from './semantic-query.js'
import type { SqlDialect } from './field-sql.js'
import type { SqlParameters } from './sql-parameters.js'

// A Map, not an object: an operator such as "constructor" must find nothing here.
const COMPARISONS: ReadonlyMap<string, string> = new Map([
  ['=', '='],
  ['!=', '<>'],
  ['>', '>'],
  ['>=', '>='],
  ['<', '<'],
  ['<=', '<='],
])

/** Both engines cast anything to text; they spell the type differently. */
const TEXT_TYPE: Readonly<Record<SqlDialect, string>> = { duckdb: 'VARCHAR', postgres: 'TEXT' }

/** Refuses an operator outside the list before anything else looks at the filter. */
export function checkOperator(filter: SemanticFilter, path: string): void {
  if (!(FILTER_OPERATORS as readonly string[]).includes(filter.op)) throw unsupported(filter, path)
}

function unsupported(filter: SemanticFilter, path: string): InputError {
  return new InputError(
    `Operator "${String(filter.op)}" is not supported; expected one of ${FILTER_OPERATORS.join(', ')}`,
    path,
  )
}

/** One filter as a condition on `expression`, the field's SQL; every value is bound, never written into the SQL. */
export function filterCondition(
  expression: string,
  filter: SemanticFilter,
  field: DomainField,
  params: SqlParameters,
  dialect: SqlDialect,
  path: string,
): string {
  const valuePath = `${path}.value`
  switch (filter.op) {
    case 'in':
    case 'not_in': {
      const placeholders = listValue(filter, field, valuePath).map((v) => params.add(v))
      return `${expression} ${filter.op === 'in' ? 'IN' : 'NOT IN'} (${placeholders.join(', ')})`
    }
    case 'between': {
      const [low, high] = rangeValue(filter, field, valuePath)
      return `${expression} BETWEEN ${params.add(low)} AND ${params.add(high)}`
    }
    case 'is_null':
      return `${expression} ${nullTestValue(filter, valuePath) ? 'IS NULL' : 'IS NOT NULL'}`
    case 'contains': {
      // strpos rather than LIKE: the agent's text is matched as written, `%` and `_` included.
      const needle = params.add(containsValue(filter, valuePath))
      return `strpos(lower(CAST(${expression} AS ${TEXT_TYPE[dialect]})), lower(${needle})) > 0`
    }
    default: {
      const operator = COMPARISONS.get(filter.op)
      if (operator === undefined) throw unsupported(filter, `${path}.op`)
      return `${expression} ${operator} ${params.add(scalarValue(filter, field, valuePath))}`
    }
  }
}
