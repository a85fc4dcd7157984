import { describe, expect, it } from 'vitest'
import { as, col, derived, eq, int, select, star, statement, sub, table } from '../../../test/support/duckdb-ast.js'
import { duckDbExpressionStatement, duckDbExpressionsToName } from './duckdb-expression-names.js'

describe('duckDbExpressionsToName', () => {
  it('finds the unnamed expressions whose text the rewrite could change, at any depth', () => {
    const scalar = sub(select({ list: [int(1)], from: table('orders') }))
    const qualified = eq(col('main', 'orders', 'id'), int(1))
    const inner = sub(select({ list: [int(2)] }))
    const node = select({
      list: [scalar, as(sub(select()), 'named'), col('main', 'orders', 'id'), qualified, star(), col('id')],
      from: derived(select({ list: [inner] }), 'd'),
    })
    expect(duckDbExpressionsToName(statement(node))).toEqual([scalar, qualified, inner])
  })

  it('leaves alone an expression that expands into several columns, but not one with a star in a subquery', () => {
    const expanding = eq({ ...star(), columns: true }, int(1))
    const counting = sub(select({ list: [star()], from: table('orders') }))
    expect(duckDbExpressionsToName(statement(select({ list: [expanding, counting] })))).toEqual([counting])
  })

  it('writes an expression as the only item of a SELECT without FROM', () => {
    const statementAst = duckDbExpressionStatement(int(1)) as { statements: { node: Record<string, unknown> }[] }
    expect(statementAst.statements[0]?.node).toMatchObject({ select_list: [int(1)], from_table: { type: 'EMPTY' } })
  })
})
