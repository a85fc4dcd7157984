import { describe, expect, it } from 'vitest'
import { guardDuckDbSelect } from './duckdb-guard.js'

const catalog = { database: 'warehouse', tables: new Set(['main.orders']) }
const strict = { allowParameters: false }

/** `SELECT <expression>` as `json_serialize_sql` gives it. */
const select = (expression: unknown) => ({
  error: false,
  statements: [
    {
      node: {
        type: 'SELECT_NODE',
        modifiers: [],
        cte_map: { map: [] },
        select_list: [expression],
        from_table: { type: 'BASE_TABLE', schema_name: '', table_name: 'orders', catalog_name: '', at_clause: null },
      },
    },
  ],
})
const one = { class: 'CONSTANT', type: 'VALUE_CONSTANT', value: { type: { id: 'INTEGER', type_info: null }, value: 1 } }
const not = (depth: number): unknown => {
  let expression: unknown = one
  for (let i = 0; i < depth; i++) expression = { class: 'OPERATOR', type: 'OPERATOR_NOT', children: [expression] }
  return expression
}

describe('the DuckDB dev-mode guard on a tree (SPEC §5)', () => {
  it('walks a tree as deep as the limit', () => {
    expect(guardDuckDbSelect(select(not(900)), catalog, strict)).toEqual([{ schema: 'main', table: 'orders' }])
  })

  it.each([1_200, 100_000])('refuses a tree %i levels deep by count, never by a stack overflow', (depth) => {
    expect(() => guardDuckDbSelect(select(not(depth)), catalog, strict)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message: 'The query is nested too deeply' }),
    )
  })

  it.each([
    'Max expression depth limit of 1000 exceeded. Use "SET max_expression_depth TO x" to increase the maximum expression depth.',
    'syntax error at or near "(": memory exhausted',
  ])('answers a parser that gave up on nesting (%s) with the same refusal', (message) => {
    expect(() => guardDuckDbSelect({ error: true, error_message: message }, catalog, strict)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message: 'The query is nested too deeply' }),
    )
  })
})
