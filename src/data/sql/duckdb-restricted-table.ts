import { GatehouseError } from '../../domain/errors.js'
import { foldDuckDbName } from './duckdb-names.js'
import { DuckDbPlaceholders } from './duckdb-placeholders.js'
import { isNode, statement } from './duckdb-rewrite-node.js'
import type { Node } from './duckdb-rewrite-node.js'
import type { DuckDbPredicateAsts, DuckDbRewriteOptions } from './duckdb-rewrite-options.js'
import type { RowAlternative, RowPredicate, TableRestriction } from './restrictions.js'

type PredicateValue = RowPredicate['values'][number]

/**
 * The statement `SELECT <visible columns> FROM schema.table WHERE <rules>` for
 * one table alone, its placeholders numbered from `$1` in order of first use:
 * what the engine prepares once per table to check that the rules bind to
 * that table's own columns and nothing else.
 */
export function duckDbRestrictedTable(
  table: TableRestriction,
  predicates: DuckDbPredicateAsts,
  options: Omit<DuckDbRewriteOptions, 'parameterCount'>,
): { readonly ast: unknown; readonly values: readonly PredicateValue[] } {
  const placeholders = new DuckDbPlaceholders(0, undefined)
  const node = new DuckDbRestrictedTables(predicates, options, placeholders).restrictedSelect(table)
  return { ast: { error: false, statements: [statement(node)] }, values: placeholders.values }
}

/**
 * Builds the subquery that stands for a base table in the rewrite (SPEC §3.2
 * rules): the columns some policy shows, each behind the rules of the policies
 * that show it, and the rows some policy admits; the rules' values go to
 * `placeholders`.
 */
export class DuckDbRestrictedTables {
  readonly #predicates: DuckDbPredicateAsts
  readonly #options: Pick<DuckDbRewriteOptions, 'tableColumns'>
  readonly #placeholders: DuckDbPlaceholders

  constructor(
    predicates: DuckDbPredicateAsts,
    options: Pick<DuckDbRewriteOptions, 'tableColumns'>,
    placeholders: DuckDbPlaceholders,
  ) {
    this.#predicates = predicates
    this.#options = options
    this.#placeholders = placeholders
  }

  /** `SELECT <visible columns> FROM schema.table WHERE <p1 OR p2 …>`, the cell rule applied per column. */
  restrictedSelect(table: TableRestriction): Node {
    const key = `${table.schema}.${table.table}`
    const catalogOrder = this.#options.tableColumns?.get(key)
    const columns = unionColumns(table.alternatives, catalogOrder)
    const everyRow = table.alternatives.some((a) => a.predicate === null)
    const selectList = columns.map((column) => {
      const showing = table.alternatives.filter((a) => a.columns.includes(column))
      const name = catalogOrder?.find((c) => foldDuckDbName(c) === foldDuckDbName(column)) ?? column
      const ref = columnRef(name)
      if (showing.length === table.alternatives.length || showing.some((a) => a.predicate === null)) return ref
      return {
        class: 'CASE',
        type: 'CASE_EXPR',
        alias: name,
        case_checks: [{ when_expr: this.#anyOf(showing), then_expr: ref }],
        else_expr: NULL_CONSTANT,
      }
    })
    return {
      type: 'SELECT_NODE',
      modifiers: [],
      cte_map: { map: [] },
      select_list: selectList,
      from_table: {
        type: 'BASE_TABLE',
        alias: '',
        sample: null,
        schema_name: table.schema,
        table_name: table.table,
        column_name_alias: [],
        catalog_name: '',
        at_clause: null,
      },
      where_clause: everyRow ? null : this.#anyOf(table.alternatives),
      group_expressions: [],
      group_sets: [],
      aggregate_handling: 'STANDARD_HANDLING',
      having: null,
      sample: null,
      qualify: null,
    }
  }

  /** `p1 OR p2 …`, flattened as DuckDB's parser flattens it, so the SQL text parses back to this very tree. */
  #anyOf(alternatives: readonly RowAlternative[]): Node {
    const children = alternatives.flatMap((alternative) => {
      const predicate = this.#predicate(alternative)
      return predicate.type === 'CONJUNCTION_OR' ? (predicate.children as Node[]) : [predicate]
    })
    if (children.length === 1) return children[0] as Node
    return { class: 'CONJUNCTION', type: 'CONJUNCTION_OR', alias: '', children }
  }

  /** The alternative's rule with its `$1…$n` renumbered after the user's parameters and the rules before it. */
  #predicate(alternative: RowAlternative): Node {
    const predicate = alternative.predicate as RowPredicate
    const ast = this.#predicates.get(predicate.sql)
    if (!isNode(ast)) {
      throw new GatehouseError('INTERNAL', 'A row rule cannot be applied', {
        detail: `no parsed form for the rule of ${alternative.policy}: ${predicate.sql}`,
      })
    }
    const offset = this.#placeholders.ruleOffset(alternative)
    return renumber(ast, offset, predicate) as Node
  }
}

function renumber(value: unknown, offset: number, predicate: RowPredicate): unknown {
  if (Array.isArray(value)) return value.map((item) => renumber(item, offset, predicate))
  if (!isNode(value)) return value
  if (value.class === 'PARAMETER') {
    const n = Number(value.identifier)
    if (!Number.isInteger(n) || n < 1 || n > predicate.values.length) {
      throw new GatehouseError('INTERNAL', 'A row rule cannot be applied', {
        detail: `the rule uses $${String(value.identifier)} but binds ${predicate.values.length} values: ${predicate.sql}`,
      })
    }
    return { ...value, identifier: String(offset + n) }
  }
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) out[key] = renumber(child, offset, predicate)
  return out
}

/** The union of the alternatives' columns, in catalog order when known, else in the order the alternatives list them. */
function unionColumns(alternatives: readonly RowAlternative[], catalogOrder: readonly string[] | undefined): string[] {
  const union: string[] = []
  for (const alternative of alternatives) {
    alternative.columns.forEach((column, i) => {
      if (union.includes(column)) return
      // Before the next of this alternative's columns already placed, else last: each list keeps its order.
      const next = alternative.columns.slice(i + 1).find((c) => union.includes(c))
      union.splice(next === undefined ? union.length : union.indexOf(next), 0, column)
    })
  }
  if (catalogOrder === undefined) return union
  const position = new Map(catalogOrder.map((c, i) => [foldDuckDbName(c), i]))
  return union.sort((a, b) => (position.get(a) ?? Infinity) - (position.get(b) ?? Infinity))
}

function columnRef(name: string): Node {
  return { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', column_names: [name] }
}

const NULL_CONSTANT: Node = {
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  value: { type: { id: 'NULL', type_info: null }, is_null: true },
}
