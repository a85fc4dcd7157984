import { describe, expect, it } from 'vitest'
import { readDuckDbAstJson } from './duckdb-ast-json.js'
import { sameDuckDbAst } from './duckdb-same-ast.js'

const values = { type: 'EXPRESSION_LIST', alias: 'valueslist', sample: null, values: [[{ class: 'CONSTANT', v: 1 }]] }
const star = {
  class: 'STAR',
  type: 'STAR',
  alias: '',
  relation_name: '',
  exclude_list: [],
  replace_list: [],
  columns: false,
  expr: null,
  qualified_exclude_list: [],
  rename_list: [],
}
const selectFrom = (from: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'SELECT_NODE',
  modifiers: [],
  cte_map: { map: [] },
  select_list: [star],
  from_table: from,
  where_clause: null,
  group_expressions: [],
  group_sets: [],
  aggregate_handling: 'STANDARD_HANDLING',
  having: null,
  sample: null,
  qualify: null,
  ...extra,
})
const wrapped = (inner: unknown) => ({
  type: 'SUBQUERY',
  alias: 'valueslist',
  sample: null,
  subquery: { node: selectFrom(inner), named_param_map: [] },
  column_name_alias: [],
})

describe('sameDuckDbAst', () => {
  it('ignores source positions and the order of named_param_map', () => {
    expect(
      sameDuckDbAst(
        { a: 1, query_location: 3, named_param_map: [{ key: '2' }, { key: '1' }] },
        { a: 1, named_param_map: [{ key: '1' }, { key: '2' }] },
      ),
    ).toBe(true)
  })

  it('compares numbers by their text, whichever side made them', () => {
    expect(sameDuckDbAst(readDuckDbAstJson('{"value":3}'), { value: 3 })).toBe(true)
    expect(sameDuckDbAst(readDuckDbAstJson('{"value":100.0}'), { value: 100 })).toBe(false)
    expect(sameDuckDbAst({ value: 3 }, { value: '3' })).toBe(false)
  })

  it('folds the wrappers DuckDB adds around a VALUES list each time it is parsed', () => {
    expect(sameDuckDbAst({ from: values }, { from: wrapped(wrapped(values)) })).toBe(true)
  })

  it.each([
    ['a different value', { a: 1 }, { a: 2 }],
    ['a missing field', { a: 1, b: null }, { a: 1 }],
    ['an extra field', { a: 1 }, { a: 1, b: null }],
    ['another list length', { a: [1] }, { a: [1, 1] }],
    ['an object for a list', { a: [] }, { a: {} }],
    [
      'a wrapper that filters the list',
      { from: values },
      { from: { ...wrapped(values), subquery: { node: selectFrom(values, { where_clause: true }) } } },
    ],
    ['a wrapper under another name', { from: values }, { from: { ...wrapped(values), alias: 'v' } }],
  ])('tells apart %s', (_, a, b) => {
    expect(sameDuckDbAst(a, b)).toBe(false)
    expect(sameDuckDbAst(b, a)).toBe(false)
  })
})
