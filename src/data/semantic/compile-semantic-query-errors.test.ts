import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { projectFileSchema } from '../../config/project-file-schema.js'
import { compileSemanticQuery } from './compile-semantic-query.js'
import { semanticQuerySchema } from './semantic-query.js'
import type { SemanticFilter } from './semantic-query.js'

const fixture = readFileSync(new URL('./sales-project.fixture.yaml', import.meta.url), 'utf8')
const sales = projectFileSchema.parse(parse(fixture)).domains[0]!
const options = { dialect: 'duckdb', maxLimit: 1000, defaultLimit: 100 } as const

// Requests as the zod schema lets them through: only `value` (and what zod cannot know) is wrong in these.
const compile = (query: Record<string, unknown>) =>
  compileSemanticQuery(sales, semanticQuerySchema.parse({ domain: 'sales', ...query }), options)

const KNOWN_MEASURES = 'known measures: revenue, order_count, average_amount, buyers, first_order, customer_count'
const KNOWN_DIMENSIONS =
  'known dimensions: orders.id, region, status, order_date, gift, customers.id, customer_name, segment, country, note, reason'

describe('compileSemanticQuery refuses, saying what was wrong and what is expected', () => {
  it.each([
    [
      'no dimension and no measure',
      {},
      'dimensions',
      'A query needs at least one dimension or measure; describe_domain lists them',
    ],
    [
      'an unknown measure',
      { measures: ['revnue'] },
      'measures[0]',
      `Unknown measure "revnue" in domain "sales"; ${KNOWN_MEASURES}`,
    ],
    [
      'an unknown dimension',
      { dimensions: ['regoin'] },
      'dimensions[0]',
      `Unknown dimension "regoin" in domain "sales"; ${KNOWN_DIMENSIONS}`,
    ],
    [
      'a measure asked for as a dimension',
      { dimensions: ['revenue'] },
      'dimensions[0]',
      `Unknown dimension "revenue" in domain "sales"; ${KNOWN_DIMENSIONS}`,
    ],
    [
      'an unknown dataset',
      { measures: ['ordrs.revenue'] },
      'measures[0]',
      'Unknown dataset "ordrs" in "ordrs.revenue"; datasets of domain "sales": orders, customers, countries, notes, returns',
    ],
    [
      'a name qualified with the wrong dataset',
      { measures: ['customers.revenue'] },
      'measures[0]',
      `Unknown measure "customers.revenue" in domain "sales"; ${KNOWN_MEASURES}`,
    ],
    [
      'a malformed reference',
      { dimensions: ['orders.region.name'] },
      'dimensions[0]',
      'Dimension reference "orders.region.name" is not valid; expected name or dataset.name, and for a time dimension optionally a granularity such as order_date:month',
    ],
    [
      'a name in several datasets',
      { dimensions: ['id'] },
      'dimensions[0]',
      'Dimension "id" is ambiguous in domain "sales"; qualify it as one of orders.id, customers.id',
    ],
    [
      'a granularity on a dimension that is not a time',
      { dimensions: ['region:month'] },
      'dimensions[0]',
      'Dimension "region" is of type string, not time, so it does not take a granularity (":month")',
    ],
    [
      'a granularity on a measure',
      { measures: ['revenue'], filters: [{ field: 'revenue:month', op: '>', value: 1 }] },
      'filters[0].field',
      'Measure "revenue" does not take a granularity; only time dimensions do, such as order_date:month',
    ],
    [
      'an unknown granularity',
      { dimensions: ['order_date:hour'] },
      'dimensions[0]',
      'Granularity "hour" is not supported; expected one of day, week, month, quarter, year',
    ],
    [
      'a dimension selected twice',
      { dimensions: ['region', 'orders.region'] },
      undefined,
      'Dimension "orders.region" is selected twice',
    ],
    [
      'a measure selected twice',
      { measures: ['revenue', 'revenue'] },
      undefined,
      'Measure "orders.revenue" is selected twice',
    ],
    [
      'a dataset no join reaches',
      { dimensions: ['reason'], measures: ['revenue'] },
      undefined,
      'Dataset "returns" cannot be joined to "orders": domain "sales" declares no join path between them',
    ],
    [
      'datasets on different connections',
      { dimensions: ['note'], measures: ['revenue'] },
      undefined,
      'One query reads one connection, but these datasets of domain "sales" are on different ones: orders (warehouse), notes (crm)',
    ],
    [
      'an order on a field that is not selected',
      { dimensions: ['region'], order_by: ['status'] },
      'order_by[0]',
      'Cannot order by "status": order_by takes a selected dimension or measure (region)',
    ],
    [
      'an order on another granularity than the one selected',
      { dimensions: ['order_date:month'], measures: ['revenue'], order_by: ['order_date'] },
      'order_by[0]',
      'Cannot order by "order_date": order_by takes a selected dimension or measure (order_date:month, revenue)',
    ],
    [
      'a limit above the maximum',
      { dimensions: ['region'], limit: 1001 },
      'limit',
      'limit 1001 is above the maximum of 1000 rows; ask for fewer',
    ],
  ])('%s', (_, query, field, message) => {
    expect(() => compile(query)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', message, field }))
  })

  // Past the request schema, as a caller that skipped it would pass them: the compiler trusts no filter.
  const withFilter = (filter: Record<string, unknown>) => {
    const query = semanticQuerySchema.parse({ domain: 'sales', dimensions: ['region'] })
    return compileSemanticQuery(sales, { ...query, filters: [filter as SemanticFilter] }, options)
  }

  it.each([
    [
      'an unsupported operator',
      { field: 'region', op: 'like', value: 'E%' },
      'filters[0].op',
      'Operator "like" is not supported; expected one of =, !=, >, >=, <, <=, in, not_in, contains, between, is_null',
    ],
    [
      'an operator named like an object property',
      { field: 'region', op: 'constructor', value: 'E' },
      'filters[0].op',
      'Operator "constructor" is not supported; expected one of =, !=, >, >=, <, <=, in, not_in, contains, between, is_null',
    ],
    [
      'an unknown filter field',
      { field: 'regio', op: '=', value: 'EMEA' },
      'filters[0].field',
      `Unknown field "regio" in domain "sales"; ${KNOWN_DIMENSIONS}; ${KNOWN_MEASURES}`,
    ],
    [
      'in without an array',
      { field: 'region', op: 'in', value: 'EMEA' },
      'filters[0].value',
      'Filter on "region" with op "in" needs a non-empty array value',
    ],
    [
      'in with an empty array',
      { field: 'region', op: 'in', value: [] },
      'filters[0].value',
      'Filter on "region" with op "in" needs a non-empty array value',
    ],
    [
      'not_in without a value',
      { field: 'region', op: 'not_in' },
      'filters[0].value',
      'Filter on "region" with op "not_in" needs a non-empty array value',
    ],
    [
      'in with too many values',
      { field: 'region', op: 'in', value: Array.from({ length: 1001 }, (_, i) => `r${i}`) },
      'filters[0].value',
      'Filter on "region" with op "in" takes at most 1000 values; got 1001',
    ],
    [
      'in with a nested array',
      { field: 'region', op: 'in', value: [['EMEA']] },
      'filters[0].value[0]',
      'Filter on "region" with op "in" needs a single value, not an array',
    ],
    [
      'between with one bound',
      { field: 'order_date', op: 'between', value: ['2026-01-01'] },
      'filters[0].value',
      'Filter on "order_date" with op "between" needs a [low, high] array value',
    ],
    [
      'between with a scalar',
      { field: 'order_date', op: 'between', value: '2026-01-01' },
      'filters[0].value',
      'Filter on "order_date" with op "between" needs a [low, high] array value',
    ],
    [
      'is_null with a string',
      { field: 'region', op: 'is_null', value: 'yes' },
      'filters[0].value',
      'Filter on "region" with op "is_null" takes true (IS NULL) or false (IS NOT NULL) as value',
    ],
    [
      'contains with a number',
      { field: 'region', op: 'contains', value: 3 },
      'filters[0].value',
      'Filter on "region" with op "contains" needs a string value',
    ],
    [
      'a comparison without a value',
      { field: 'region', op: '=' },
      'filters[0].value',
      'Filter on "region" with op "=" needs a value; to match missing values use op "is_null"',
    ],
    [
      'a comparison with null',
      { field: 'region', op: '!=', value: null },
      'filters[0].value',
      'Filter on "region" with op "!=" needs a value; to match missing values use op "is_null"',
    ],
    [
      'a comparison with an array',
      { field: 'region', op: '=', value: ['EMEA'] },
      'filters[0].value',
      'Filter on "region" with op "=" needs a single value, not an array',
    ],
    [
      'an object value',
      { field: 'region', op: '=', value: { $gt: 1 } },
      'filters[0].value',
      'Filter on "region" with op "=" needs a string; got an object',
    ],
    [
      'a number for a text dimension',
      { field: 'region', op: '=', value: 1 },
      'filters[0].value',
      'Filter on "region" with op "=" needs a string; got 1',
    ],
    [
      'text for a number dimension',
      { field: 'orders.id', op: '>', value: '1' },
      'filters[0].value',
      'Filter on "orders.id" with op ">" needs a number; got "1"',
    ],
    [
      'a number that is not finite',
      { field: 'revenue', op: '>', value: Number.NaN },
      'filters[0].value',
      'Filter on "revenue" with op ">" needs a number; got NaN',
    ],
    [
      'text for a boolean dimension',
      { field: 'gift', op: '=', value: 'true' },
      'filters[0].value',
      'Filter on "gift" with op "=" needs a boolean; got "true"',
    ],
    [
      'a time that is not ISO 8601',
      { field: 'order_date', op: '>=', value: '01/02/2026' },
      'filters[0].value',
      'Filter on "order_date" with op ">=" needs a date or time in ISO 8601 text, such as "2026-01-31" or "2026-01-31T09:30:00Z"; got "01/02/2026"',
    ],
    [
      'a bound of the wrong type',
      { field: 'order_date', op: 'between', value: ['2026-01-01', 20260131] },
      'filters[0].value[1]',
      'Filter on "order_date" with op "between" needs a date or time in ISO 8601 text, such as "2026-01-31" or "2026-01-31T09:30:00Z"; got 20260131',
    ],
  ])('a filter with %s', (_, f, field, message) => {
    expect(() => withFilter(f)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', message, field }))
  })

  it('a limit that is not a positive integer, whatever validated the request', () => {
    const query = { ...semanticQuerySchema.parse({ domain: 'sales', dimensions: ['region'] }), limit: 2.5 }
    expect(() => compileSemanticQuery(sales, query, options)).toThrow(
      expect.objectContaining({
        code: 'INPUT_INVALID',
        message: 'limit must be a positive integer; got 2.5',
        field: 'limit',
      }),
    )
  })

  it('an order direction other than asc and desc, whatever validated the request', () => {
    const query = {
      ...semanticQuerySchema.parse({ domain: 'sales', dimensions: ['region'] }),
      order_by: [{ field: 'region', direction: 'sideways' as 'asc' }],
    }
    expect(() => compileSemanticQuery(sales, query, options)).toThrow(
      expect.objectContaining({
        message: 'Direction "sideways" is not supported; expected asc or desc',
        field: 'order_by[0].direction',
      }),
    )
  })
})
