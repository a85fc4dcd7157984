import { describe, expect, it } from 'vitest'
import { col, eq, int, param, select, star, statement, sub, table, union } from '../../../test/support/duckdb-ast.js'
import { duckDbPredicateFromAst } from './duckdb-row-rule.js'

describe('duckDbPredicateFromAst', () => {
  const rule = { sql: 'tenant_id = $1', values: [1] }

  it('takes the WHERE expression of SELECT 1 FROM t WHERE (rule)', () => {
    const where = eq(col('tenant_id'), param(1))
    expect(duckDbPredicateFromAst(statement(select({ list: [int(1)], from: table('t'), where })), rule)).toEqual(where)
  })

  it.each<[string, unknown]>([
    [
      'a rule with a subquery',
      statement(select({ from: table('t'), where: sub(select({ from: table('secrets') }), 'EXISTS') })),
    ],
    [
      'a rule that escapes its WHERE clause',
      statement(union(select({ from: table('t'), where: int(1) }), select({ from: table('secrets') }))),
    ],
    [
      'a rule that ends its statement and starts another',
      { error: false, statements: [{ node: select({ from: table('t'), where: int(1) }) }, { node: select() }] },
    ],
    [
      'a rule with a placeholder it binds no value for',
      statement(select({ from: table('t'), where: eq(col('a'), param(2)) })),
    ],
    ['a rule with a star', statement(select({ from: table('t'), where: eq(star(), int(1)) }))],
    ['a rule DuckDB cannot parse', { error: true, error_message: 'syntax error' }],
    ['no rule at all', statement(select({ from: table('t') }))],
  ])('refuses %s, failing closed', (_, ast) => {
    expect(() => duckDbPredicateFromAst(ast, rule)).toThrow(expect.objectContaining({ code: 'INTERNAL' }))
  })

  it('keeps the rule text out of the public message', () => {
    const ast = statement(select({ from: table('t'), where: eq(col('a'), param(2)) }))
    expect(() => duckDbPredicateFromAst(ast, rule)).toThrow(
      expect.objectContaining({ message: 'A row rule cannot be applied', detail: expect.stringContaining(rule.sql) }),
    )
  })
})
