import { GatehouseError } from '../../domain/errors.js'
import type { RowPredicate } from './restrictions.js'

type Node = Readonly<Record<string, unknown>>

/**
 * The WHERE expression of `SELECT 1 FROM t WHERE (<rule>)` as DuckDB
 * serialized it, once it is known to be nothing but an expression over the
 * table's columns: the rule's text cannot reach beyond its WHERE clause, read
 * another table through a subquery or name a parameter it does not bind.
 */
export function duckDbPredicateFromAst(ast: unknown, predicate: RowPredicate): unknown {
  const fail = (why: string): never => {
    throw new GatehouseError('INTERNAL', 'A row rule cannot be applied', { detail: `${why}: ${predicate.sql}` })
  }
  if (!isNode(ast) || ast.error !== false || !Array.isArray(ast.statements) || ast.statements.length !== 1) {
    return fail('the rule does not parse as one expression')
  }
  const select = (ast.statements[0] as Node).node
  if (
    !isNode(select) ||
    select.type !== 'SELECT_NODE' ||
    !isEmptyList((select.cte_map as Node | undefined)?.map) ||
    !isEmptyList(select.modifiers) ||
    !isEmptyList(select.group_expressions) ||
    !isEmptyList(select.group_sets) ||
    select.having !== null ||
    select.qualify !== null ||
    select.sample !== null ||
    !isNode(select.from_table) ||
    select.from_table.type !== 'BASE_TABLE' ||
    !isNode(select.where_clause)
  ) {
    return fail('the rule is more than one WHERE expression')
  }
  const check = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(check)
    if (!isNode(value)) return
    if (value.class === 'SUBQUERY') fail('a rule cannot contain a subquery')
    if (value.class === 'STAR' || value.class === 'WINDOW') fail('a rule cannot contain * or a window')
    if (value.class === 'PARAMETER') {
      const n = Number(value.identifier)
      if (!/^\d+$/.test(String(value.identifier)) || n < 1 || n > predicate.values.length) {
        fail(`the rule uses $${String(value.identifier)} but binds ${predicate.values.length} values`)
      }
    }
    Object.values(value).forEach(check)
  }
  check(select.where_clause)
  return select.where_clause
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0
}
