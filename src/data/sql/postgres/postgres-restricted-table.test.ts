import { parse } from 'libpg-query'
import { describe, expect, it } from 'vitest'
import type { RowAlternative } from '../restrictions.js'
import { placePredicate, visibleColumns } from './postgres-restricted-table.js'

async function where(sql: string): Promise<unknown> {
  const ast = await parse(`SELECT 1 FROM t WHERE ${sql}`)
  return (ast.stmts?.[0]?.stmt as { SelectStmt: { whereClause: unknown } }).SelectStmt.whereClause
}

function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !['location', 'rexpr_list_start', 'rexpr_list_end'].includes(k))
      .map(([k, v]) => [k, shape(v)]),
  )
}

describe('placePredicate', () => {
  it.each([
    ['qualifies bare column names with the table', 'tenant_id = $1', 1, 0, 'orders.tenant_id = $1'],
    ['moves placeholders past the ones before it', 'region IN ($1, $2)', 2, 3, 'orders.region IN ($4, $5)'],
    ['keeps names that are already qualified', 'orders.tenant_id = $1', 1, 0, 'orders.tenant_id = $1'],
    [
      'leaves names inside its own subqueries to those subqueries',
      'tenant_id IN (SELECT tenant_id FROM members WHERE member = $1)',
      1,
      0,
      'orders.tenant_id IN (SELECT tenant_id FROM members WHERE member = $1)',
    ],
    ['reuses one value wherever it appears', 'a = $1 OR b = $1', 1, 2, 'orders.a = $3 OR orders.b = $3'],
  ])('%s', async (_, sql, values, offset, expected) => {
    expect(shape(placePredicate(await where(sql), 'orders', offset, values))).toEqual(shape(await where(expected)))
  })

  it.each([
    ['uses a placeholder it has no value for', 'a = $2', 1, 'A row rule of orders uses $2 but binds 1 values'],
    ['binds a value it never uses', 'a = $1', 2, 'A row rule of orders binds 2 values but uses 1'],
  ])('is an internal error when the predicate %s', async (_, sql, values, message) => {
    const ast = await where(sql)
    expect(() => placePredicate(ast, 'orders', 0, values)).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message }),
    )
  })
})

describe('visibleColumns', () => {
  const alternative = (columns: string[]): RowAlternative => ({ policy: 'p', rules: [], columns, predicate: null })

  it.each([
    ['one policy', [['a', 'b', 'c']], ['a', 'b', 'c']],
    [
      'a policy that lists more',
      [
        ['a', 'c'],
        ['a', 'b', 'c', 'd'],
      ],
      ['a', 'b', 'c', 'd'],
    ],
    ['disjoint lists', [['a'], ['b']], ['a', 'b']],
    [
      'a column first in its list goes right before the next one',
      [
        ['b', 'c'],
        ['a', 'c'],
      ],
      ['b', 'a', 'c'],
    ],
    [
      'each column once',
      [
        ['a', 'b'],
        ['a', 'b'],
      ],
      ['a', 'b'],
    ],
  ])('is the union in table order: %s', (_, lists, expected) => {
    expect(visibleColumns(lists.map(alternative))).toEqual(expected)
  })
})
