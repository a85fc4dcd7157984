import type { Alias, Node } from 'libpg-query'
import { GatehouseError } from '../../../domain/errors.js'
import type { RowAlternative, TableRestriction } from '../restrictions.js'

/** One alternative's row predicate as it goes into the query; null admits every row. */
export type PlacedPredicate = (alternative: RowAlternative) => Node | null

export interface RestrictedTableRef {
  /** The name the rest of the query uses: the user's alias, or the bare table name. */
  readonly alias: Alias
  /** False for `ONLY t`. */
  readonly inh: boolean
}

/**
 * The fenced subquery that replaces one base-table reference (SPEC §3.2 rules):
 * `(SELECT <visible cells> FROM schema.table WHERE <p1 OR p2 …> OFFSET 0) AS alias`.
 *
 * `OFFSET 0` keeps PostgreSQL from pulling the subquery up or pushing the
 * user's predicates into it, so no user expression (`1/(tenant_id - 2)`) is
 * ever evaluated on a row the policies hide. Every column reference inside is
 * qualified with the table's own name: an unqualified name that the table
 * lacks (a column dropped after `apply`) would otherwise resolve to a column of
 * the user's enclosing query and let the user decide the predicate.
 */
export function restrictedTable(
  restriction: TableRestriction,
  ref: RestrictedTableRef,
  predicate: PlacedPredicate,
): Node {
  const { schema, table, alternatives } = restriction
  const predicates = alternatives.map(predicate)
  const admitsAll = predicates.some((p) => p === null)
  const targetList = visibleColumns(alternatives).map((column): Node => {
    const listing = alternatives.flatMap((a, i) => (a.columns.includes(column) ? [predicates[i] ?? null] : []))
    const value = columnRef([table, column])
    // A cell is visible when one alternative admits both its row and its column.
    if (listing.length === alternatives.length || listing.some((p) => p === null)) {
      return { ResTarget: { val: value } }
    }
    return {
      ResTarget: {
        name: column,
        val: { CaseExpr: { args: [{ CaseWhen: { expr: or(listing as Node[]), result: value } }] } },
      },
    }
  })
  const where = admitsAll ? undefined : or(predicates as Node[])
  return {
    RangeSubselect: {
      subquery: {
        SelectStmt: {
          targetList,
          // `inh: false` (ONLY) is left out as libpg-query leaves it out: pgsql-deparser prints ONLY only then.
          fromClause: [
            {
              RangeVar: { schemaname: schema, relname: table, ...(ref.inh ? { inh: true } : {}), relpersistence: 'p' },
            },
          ],
          ...(where === undefined
            ? { limitOption: 'LIMIT_OPTION_DEFAULT' }
            : // No predicate hides nothing: without a fence PostgreSQL can still use the user's filters inside.
              { whereClause: where, limitOffset: { A_Const: { ival: {} } }, limitOption: 'LIMIT_OPTION_COUNT' }),
          op: 'SETOP_NONE',
        },
      },
      alias: ref.alias,
    },
  }
}

/**
 * Binds one predicate's AST (the WHERE clause of `SELECT 1 FROM t WHERE <sql>`)
 * into the query: its local `$1…$n` become `$offset+1…$offset+n`, and its bare
 * column names are qualified with the table's name (see `restrictedTable`).
 * Names inside the predicate's own subqueries are left to those subqueries.
 */
export function placePredicate(where: unknown, table: string, offset: number, values: number): Node {
  const used = new Set<number>()
  const place = (value: unknown, inSubquery: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => place(v, inSubquery))
    if (typeof value !== 'object' || value === null) return value
    const node = value as Record<string, unknown>
    const param = node.ParamRef as { number?: number } | undefined
    if (param !== undefined) {
      const n = param.number ?? 0
      if (!Number.isInteger(n) || n < 1 || n > values) {
        throw new GatehouseError('INTERNAL', `A row rule of ${table} uses $${n} but binds ${values} values`)
      }
      used.add(n)
      return { ParamRef: { number: offset + n } }
    }
    const ref = node.ColumnRef as { fields?: unknown[] } | undefined
    if (ref !== undefined && !inSubquery && ref.fields?.length === 1 && isString(ref.fields[0])) {
      return columnRef([table, ref.fields[0].String.sval])
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, place(v, inSubquery || k === 'subselect')]))
  }
  const placed = place(where, false) as Node
  if (used.size !== values) {
    throw new GatehouseError('INTERNAL', `A row rule of ${table} binds ${values} values but uses ${used.size}`)
  }
  return placed
}

/**
 * The union of the alternatives' columns in table order. Each list is in table
 * order; a column only some lists hold goes right after its predecessor in
 * its list, else before its list's next known column, else last (exact
 * whenever one list holds every column of the others).
 */
export function visibleColumns(alternatives: readonly RowAlternative[]): string[] {
  const out: string[] = []
  for (const { columns } of alternatives) {
    columns.forEach((column, i) => {
      if (out.includes(column)) return
      if (i > 0) return out.splice(out.indexOf(columns[i - 1] as string) + 1, 0, column)
      const next = columns.find((c) => out.includes(c))
      out.splice(next === undefined ? out.length : out.indexOf(next), 0, column)
    })
  }
  return out
}

function or(args: readonly Node[]): Node {
  return args.length === 1 ? (args[0] as Node) : { BoolExpr: { boolop: 'OR_EXPR', args: [...args] } }
}

function columnRef(names: readonly string[]): Node {
  return { ColumnRef: { fields: names.map((sval) => ({ String: { sval } })) } }
}

function isString(value: unknown): value is { String: { sval: string } } {
  return typeof (value as { String?: { sval?: unknown } } | undefined)?.String?.sval === 'string'
}
