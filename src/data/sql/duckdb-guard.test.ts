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

/** A call as DuckDB's parser writes it: `[1]` is `main.list_value(1)`, `list_value(1)` has no schema. */
const call = (name: string, schema = '', catalog = '') => ({
  class: 'FUNCTION',
  type: 'FUNCTION',
  function_name: name,
  schema,
  catalog,
  children: [one],
})

describe('the DuckDB dev-mode guard on a tree (SPEC §5)', () => {
  it.each([
    ['a list literal (main.list_value)', call('list_value', 'main')],
    ['a struct literal (main.struct_pack)', call('struct_pack', 'main')],
    ['a row constructor (main.row)', call('row', 'main')],
    ['EXTRACT (main.date_part)', call('date_part', 'main')],
    ['a list comprehension (main.list_apply)', call('list_apply', 'main')],
    ['the schema in any case, as DuckDB folds it', call('list_value', 'MAIN')],
    ['TRIM (main.trim)', call('trim', 'main')],
  ])('accepts %s: main resolves as an unqualified name does', (_, expression) => {
    expect(guardDuckDbSelect(select(expression), catalog, strict)).toEqual([{ schema: 'main', table: 'orders' }])
  })

  it.each([
    [
      'a catalog before main',
      call('list_value', 'main', 'system'),
      'Function list_value is not allowed in dev-mode SQL',
    ],
    ['another database', call('list_value', 'main', 'other'), 'Function list_value is not allowed in dev-mode SQL'],
    ['another schema', call('list_value', 'pg_catalog'), 'Function list_value is not allowed in dev-mode SQL'],
    ["the temp catalog's schema", call('lower', 'temp'), 'Function lower is not allowed in dev-mode SQL'],
    [
      'an allowed function under main that no syntax of DuckDB writes so',
      call('lower', 'main'),
      'Function lower is not allowed in dev-mode SQL',
    ],
    [
      'a function off the allowlist under main',
      call('current_setting', 'main'),
      'Function current_setting is not allowed in dev-mode SQL',
    ],
    [
      'a session function under main',
      call('get_username', 'main'),
      'get_username() cannot be qualified (main.get_username): call it as get_username()',
    ],
  ])('refuses %s', (_, expression, message) => {
    expect(() => guardDuckDbSelect(select(expression), catalog, { ...strict, sessionFunctions: true })).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message }),
    )
  })

  it('refuses unnest of a list literal in FROM: a table function, whatever its argument', () => {
    const ast = select(one) as { statements: { node: Record<string, unknown> }[] }
    const node = ast.statements[0]?.node as Record<string, unknown>
    node.from_table = {
      type: 'TABLE_FUNCTION',
      function: { ...call('unnest'), children: [call('list_value', 'main')] },
    }
    expect(() => guardDuckDbSelect(ast, catalog, strict)).toThrow(
      expect.objectContaining({
        code: 'SQL_REFUSED',
        message: "Table functions are not allowed (unnest): query the connection's tables",
      }),
    )
  })

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
