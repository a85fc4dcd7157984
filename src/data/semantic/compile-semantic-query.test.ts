import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { projectFileSchema } from '../../config/project-file-schema.js'
import { compileSemanticQuery } from './compile-semantic-query.js'
import type { SemanticCompileOptions } from './compile-semantic-query.js'
import { semanticQuerySchema } from './semantic-query.js'

const fixture = readFileSync(new URL('./sales-project.fixture.yaml', import.meta.url), 'utf8')
const sales = projectFileSchema.parse(parse(fixture)).domains[0]!
const duckdb: SemanticCompileOptions = { dialect: 'duckdb', maxLimit: 1000, defaultLimit: 100 }

const compile = (query: Record<string, unknown>, options = duckdb) =>
  compileSemanticQuery(sales, semanticQuerySchema.parse({ domain: 'sales', ...query }), options)

const ORDERS = `FROM (SELECT * FROM "main"."orders") AS "orders"`
const ORDERS_REVENUE = `FROM (SELECT *, (amount * quantity) AS "__m_revenue" FROM "main"."orders") AS "orders"`

describe('compileSemanticQuery', () => {
  it.each([
    [
      'groups measures by dimensions, each dataset a derived table computing its measure expressions',
      { dimensions: ['region'], measures: ['revenue'] },
      [
        `SELECT "orders"."region" AS "region", sum("orders"."__m_revenue") AS "revenue"`,
        ORDERS_REVENUE,
        'GROUP BY 1',
        'ORDER BY 2 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
    [
      'selects distinct dimensions when there is no measure',
      { dimensions: ['region', 'status'] },
      [
        `SELECT DISTINCT "orders"."region" AS "region", "orders"."status" AS "status"`,
        ORDERS,
        'ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
    [
      'aggregates over all rows with measures alone',
      { measures: ['order_count', 'buyers', 'average_amount', 'first_order'] },
      [
        'SELECT count(*) AS "order_count", count(DISTINCT "orders"."__m_buyers") AS "buyers", ' +
          'avg("orders"."__m_average_amount") AS "average_amount", min("orders"."__m_first_order") AS "first_order"',
        'FROM (SELECT *, (1) AS "__m_order_count", (customer_id) AS "__m_buyers", (amount) AS "__m_average_amount", ' +
          '(ordered_on) AS "__m_first_order" FROM "main"."orders") AS "orders"',
        'ORDER BY 1 DESC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
    [
      'truncates a time dimension to its granularity and names the column after both',
      { dimensions: ['order_date:month', 'orders.order_date:year'], measures: ['revenue'] },
      [
        `SELECT CAST(date_trunc('month', "orders"."ordered_on") AS DATE) AS "order_date_month", ` +
          `CAST(date_trunc('year', "orders"."ordered_on") AS DATE) AS "order_date_year", ` +
          'sum("orders"."__m_revenue") AS "revenue"',
        ORDERS_REVENUE,
        'GROUP BY 1, 2',
        'ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
    [
      'joins along the shortest path, in either direction, through datasets it does not select from',
      { dimensions: ['country'], measures: ['revenue'] },
      [
        `SELECT "countries"."country_name" AS "country", sum("orders"."__m_revenue") AS "revenue"`,
        ORDERS_REVENUE,
        'LEFT JOIN (SELECT * FROM "main"."customers") AS "customers" ON "orders"."customer_id" = "customers"."id"',
        'LEFT JOIN (SELECT * FROM (',
        'SELECT code, name AS country_name',
        'FROM main.countries -- a trailing comment must not swallow the rest of the query',
        ') AS "__src") AS "countries" ON "customers"."country_code" = "countries"."code"',
        'GROUP BY 1',
        'ORDER BY 2 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
    [
      'takes the base dataset from the first measure and counts a joined dataset where it matched',
      { dimensions: ['segment'], measures: ['customer_count', 'order_count'] },
      [
        `SELECT "customers"."segment" AS "segment", count(*) AS "customer_count", ` +
          'count("orders"."__m_order_count") AS "order_count"',
        'FROM (SELECT *, (1) AS "__m_customer_count" FROM "main"."customers") AS "customers"',
        'LEFT JOIN (SELECT *, (1) AS "__m_order_count" FROM "main"."orders") AS "orders" ' +
          'ON "customers"."id" = "orders"."customer_id"',
        'GROUP BY 1',
        'ORDER BY 2 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
    [
      'binds every filter value, dimension filters in WHERE and measure filters in HAVING',
      {
        dimensions: ['region'],
        measures: ['revenue'],
        filters: [
          { field: 'revenue', op: '>=', value: 10 },
          { field: 'status', op: 'in', value: ['shipped', 'returned'] },
          { field: 'order_date', op: 'between', value: ['2026-01-01', '2026-01-31'] },
          { field: 'region', op: '!=', value: 'APAC' },
          { field: 'gift', op: 'is_null', value: false },
          { field: 'orders.id', op: 'not_in', value: [7] },
        ],
      },
      [
        `SELECT "orders"."region" AS "region", sum("orders"."__m_revenue") AS "revenue"`,
        ORDERS_REVENUE,
        `WHERE "orders"."status" IN ($1, $2) AND "orders"."ordered_on" BETWEEN $3 AND $4 ` +
          `AND "orders"."region" <> $5 AND "orders"."is_gift" IS NOT NULL AND "orders"."id" NOT IN ($6)`,
        'GROUP BY 1',
        'HAVING sum("orders"."__m_revenue") >= $7',
        'ORDER BY 2 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT 101',
      ],
      ['shipped', 'returned', '2026-01-01', '2026-01-31', 'APAC', 7, 10],
    ],
    [
      'groups rather than selecting distinct when only a filter names a measure',
      { dimensions: ['region'], filters: [{ field: 'order_count', op: '>', value: 1 }] },
      [
        `SELECT "orders"."region" AS "region"`,
        'FROM (SELECT *, (1) AS "__m_order_count" FROM "main"."orders") AS "orders"',
        'GROUP BY 1',
        'HAVING count(*) > $1',
        'ORDER BY 1 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [1],
    ],
    [
      'matches contains as a case-insensitive substring, wildcards included',
      { dimensions: ['customer_name'], filters: [{ field: 'customer_name', op: 'contains', value: '50%_off' }] },
      [
        `SELECT DISTINCT "customers"."name" AS "customer_name"`,
        'FROM (SELECT * FROM "main"."customers") AS "customers"',
        `WHERE strpos(lower(CAST("customers"."name" AS VARCHAR)), lower($1)) > 0`,
        'ORDER BY 1 ASC NULLS LAST',
        'LIMIT 101',
      ],
      ['50%_off'],
    ],
    [
      'filters on a time bucket',
      { measures: ['order_count'], filters: [{ field: 'order_date:month', op: '=', value: '2026-02-01' }] },
      [
        'SELECT count(*) AS "order_count"',
        'FROM (SELECT *, (1) AS "__m_order_count" FROM "main"."orders") AS "orders"',
        `WHERE CAST(date_trunc('month', "orders"."ordered_on") AS DATE) = $1`,
        'ORDER BY 1 DESC NULLS LAST',
        'LIMIT 101',
      ],
      ['2026-02-01'],
    ],
    [
      'orders by the fields asked for, ascending unless told otherwise',
      {
        dimensions: ['region', 'status'],
        measures: ['revenue'],
        order_by: ['status', { field: 'revenue', direction: 'desc' }, { field: 'orders.region', direction: 'asc' }],
        limit: 5,
      },
      [
        `SELECT "orders"."region" AS "region", "orders"."status" AS "status", sum("orders"."__m_revenue") AS "revenue"`,
        ORDERS_REVENUE,
        'GROUP BY 1, 2',
        'ORDER BY 2 ASC NULLS LAST, 3 DESC NULLS LAST, 1 ASC NULLS LAST',
        'LIMIT 6',
      ],
      [],
    ],
    [
      'prefixes the dataset to output names that two selected fields share',
      { dimensions: ['orders.id', 'customers.id'], measures: ['revenue'] },
      [
        `SELECT "orders"."id" AS "orders_id", "customers"."id" AS "customers_id", sum("orders"."__m_revenue") AS "revenue"`,
        ORDERS_REVENUE,
        'LEFT JOIN (SELECT * FROM "main"."customers") AS "customers" ON "orders"."customer_id" = "customers"."id"',
        'GROUP BY 1, 2',
        'ORDER BY 3 DESC NULLS LAST, 1 ASC NULLS LAST, 2 ASC NULLS LAST',
        'LIMIT 101',
      ],
      [],
    ],
  ])('%s', (_, query, lines, params) => {
    const compiled = compile(query)
    expect(compiled.sql).toBe(lines.join('\n'))
    expect(compiled.params).toEqual(params)
    expect(compiled.connection).toBe('warehouse')
  })

  it('spells the text type of contains in the dialect of the engine', () => {
    const query = { dimensions: ['region'], filters: [{ field: 'status', op: 'contains', value: 'ship' }] }
    expect(compile(query, { ...duckdb, dialect: 'postgres' }).sql).toContain(
      `WHERE strpos(lower(CAST("orders"."status" AS TEXT)), lower($1)) > 0`,
    )
  })

  it('describes the result columns in select order: dimensions, then measures', () => {
    expect(compile({ measures: ['revenue'], dimensions: ['order_date:week', 'region'] }).columns).toEqual([
      { name: 'order_date_week', kind: 'dimension' },
      { name: 'region', kind: 'dimension' },
      { name: 'revenue', kind: 'measure' },
    ])
  })

  it.each([
    ['the default limit', undefined, 100, 'LIMIT 101'],
    ['the asked limit', 1000, 1000, 'LIMIT 1001'],
    ['the maximum when the default is above it', undefined, 50, 'LIMIT 51', { ...duckdb, maxLimit: 50 }],
  ])(
    'reads one row past %s, so that the engine can say the result was truncated',
    (_, limit, maxRows, sql, options = duckdb) => {
      const compiled = compile({ dimensions: ['region'], limit }, options)
      expect(compiled.maxRows).toBe(maxRows)
      expect(compiled.sql.split('\n').at(-1)).toBe(sql)
    },
  )

  it('never writes a filter value into the SQL', () => {
    const hostile = `x'); DROP TABLE orders; --`
    const compiled = compile({
      dimensions: ['region'],
      filters: [
        { field: 'region', op: '=', value: hostile },
        { field: 'status', op: 'in', value: [hostile] },
        { field: 'customer_name', op: 'contains', value: hostile },
      ],
    })
    expect(compiled.sql).not.toContain('DROP')
    expect(compiled.params).toEqual([hostile, hostile, hostile])
  })
})
