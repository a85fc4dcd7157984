import { describe, expect, it } from 'vitest'
import type { ConnectionRestrictions } from '../restrictions.js'
import { rewritePostgresSql } from './postgres-rewriter.js'

const restrictionsWith = (predicate: string): ConnectionRestrictions => ({
  tables: new Map([
    [
      'public.orders',
      {
        schema: 'public',
        table: 'orders',
        alternatives: [
          {
            policy: 'tenant_scoped',
            rules: ['by_tenant'],
            columns: ['id', 'amount'],
            predicate: { sql: predicate, values: [7] },
          },
        ],
      },
    ],
  ]),
})
const options = { database: 'analytics', defaultSchema: 'public' }

describe('rewritePostgresSql', () => {
  it('prints the rewritten query with every value bound and the rules that applied', async () => {
    expect(
      await rewritePostgresSql('SELECT sum(amount) FROM orders', restrictionsWith('tenant_id = $1'), options),
    ).toEqual({
      sql: 'SELECT sum(amount) FROM ( SELECT orders.id, orders.amount FROM public.orders WHERE orders.tenant_id = $1 OFFSET 0 ) AS orders',
      params: [7],
      appliedRules: ['tenant_scoped.by_tenant'],
    })
  })

  it('puts a custom tool’s own values first', async () => {
    const result = await rewritePostgresSql(
      'SELECT id FROM orders WHERE amount > $1',
      restrictionsWith('tenant_id = $1'),
      {
        ...options,
        params: [100],
      },
    )
    expect(result.sql).toContain('WHERE orders.tenant_id = $2 OFFSET 0 ) AS orders WHERE amount > $1')
    expect(result.params).toEqual([100, 7])
  })

  it.each([
    ['EXTRACT', 'EXTRACT(YEAR FROM amount)'],
    ['SUBSTRING … FROM … FOR', 'SUBSTRING(amount::text FROM 1 FOR 3)'],
    ['TRIM', "TRIM(BOTH ' ' FROM amount::text)"],
    ['POSITION', "POSITION('1' IN amount::text)"],
    ['OVERLAY', "OVERLAY(amount::text PLACING 'x' FROM 1 FOR 1)"],
    ['AT TIME ZONE', "now() AT TIME ZONE 'UTC'"],
  ])('prints %s back in SQL syntax, never as the pg_catalog call the guard refuses', async (_, expression) => {
    const result = await rewritePostgresSql(
      `SELECT ${expression} FROM orders`,
      restrictionsWith('tenant_id = $1'),
      options,
    )
    const head = `SELECT ${expression} FROM ( `
    expect(result.sql.slice(0, head.length)).toBe(head)
    expect(result.sql).not.toContain('pg_catalog')
  })

  it('refuses SQL that does not parse', async () => {
    await expect(rewritePostgresSql('SELEC 1', restrictionsWith('tenant_id = $1'), options)).rejects.toMatchObject({
      code: 'SQL_REFUSED',
    })
  })

  it.each([
    ['FETCH FIRST … WITH TIES', 'SELECT id FROM orders ORDER BY amount FETCH FIRST 3 ROWS WITH TIES'],
    ['GROUP BY DISTINCT', 'SELECT id FROM orders GROUP BY DISTINCT ROLLUP (id, amount)'],
    ['a subscript of an ARRAY constructor', 'SELECT (ARRAY[1, 2])[1:1] FROM orders'],
    ['AT LOCAL, printed as an explicit pg_catalog.timezone call', 'SELECT now() AT LOCAL FROM orders'],
  ])('refuses rather than misprints what pgsql-deparser does not print faithfully: %s', async (_, sql) => {
    await expect(rewritePostgresSql(sql, restrictionsWith('tenant_id = $1'), options)).rejects.toMatchObject({
      code: 'SQL_REFUSED',
      message: 'The query cannot be run under row-level security (it could not be printed exactly)',
    })
  })

  it('refuses a query nested too deeply for the stack, as an error of the query', async () => {
    const sql = `SELECT 1 FROM orders WHERE id = 1 ${'+ 1 '.repeat(3000)}`
    await expect(rewritePostgresSql(sql, restrictionsWith('tenant_id = $1'), options)).rejects.toMatchObject({
      code: 'SQL_REFUSED',
      message: 'The query is nested too deeply',
    })
  })

  it.each([
    ['a second statement', 'true; DROP TABLE orders'],
    ['a trailing clause', 'true ORDER BY 1'],
    ['unbalanced parentheses', 'tenant_id = $1) OR (true'],
    ['no condition at all', ''],
  ])('fails closed on a row rule with %s', async (_, predicate) => {
    await expect(
      rewritePostgresSql('SELECT id FROM orders', restrictionsWith(predicate), options),
    ).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'A row rule is not a single SQL condition',
    })
  })
})
