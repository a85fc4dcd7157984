import { foldDuckDbName } from './duckdb-names.js'
import { isNode } from './duckdb-rewrite-node.js'
import type { Node } from './duckdb-rewrite-node.js'
import { SqlRefusedError } from './sql-refused-error.js'

/**
 * Where a name is being resolved in the rewrite: the CTE names in scope and
 * the FROM bindings of each enclosing SELECT, so that a qualified reference
 * (`schema.table.column`) can follow its table into the subquery that
 * replaced it.
 */
export interface Scope {
  readonly ctes: ReadonlySet<string>
  /** The recursive CTEs whose recursive arm this is: `recurring.<name>` (under any catalog) is theirs (USING KEY). */
  readonly recurring: ReadonlySet<string>
  /** Outermost first: one list per enclosing SELECT. */
  readonly from: readonly (readonly Binding[])[]
}

/** A name a FROM clause binds; `table` for a base table without alias, which `schema.table.column` may name. */
export interface Binding {
  readonly name: string
  readonly table?: { readonly schema: string; readonly table: string; readonly alias: string }
}

/**
 * The names a FROM clause binds, through its joins (not into subqueries,
 * which bind their own). Two tables without alias that share a name
 * (`main.orders`, `sales.orders`) can only be told apart by their schema,
 * which a subquery's alias cannot carry: each gets its qualified name as
 * alias (`"main.orders"`, recorded in `aliases`), and its qualified references
 * follow. Their bare name was ambiguous to begin with.
 */
export function fromBindings(from: unknown, ctes: ReadonlySet<string>, aliases: Map<Node, string>): Binding[] {
  const refs: Node[] = []
  const collect = (ref: unknown): void => {
    if (!isNode(ref)) return
    if (ref.type === 'JOIN') {
      collect(ref.left)
      collect(ref.right)
    } else refs.push(ref)
  }
  collect(from)
  const bindings = refs.map((ref) => ({ ref, binding: binding(ref, ctes) }))
  return bindings
    .map(({ ref, binding: b }) => {
      if (b?.table === undefined) return b
      const t = b.table
      const clash = bindings.some(
        ({ binding: o }) => o?.table !== undefined && o.name === b.name && o.table.schema !== t.schema,
      )
      if (!clash) return b
      const alias = `${t.schema}.${t.table}`
      aliases.set(ref, alias)
      return { name: alias, table: { ...t, alias } }
    })
    .filter((b): b is Binding => b !== undefined)
}

/**
 * The table a qualified name (`schema.table.column`, `database.schema.table.column`)
 * names, searched from the innermost SELECT out: the alias its subquery goes
 * by, and how many leading parts that alias replaces.
 */
export function qualifiedTable(
  names: readonly string[],
  scope: Scope,
  database: string,
): { alias: string; parts: number } | undefined {
  if (names.length < 3) return undefined
  const folded = names.map(foldDuckDbName)
  const catalog = foldDuckDbName(database)
  for (let depth = scope.from.length - 1; depth >= 0; depth--) {
    for (const binding of scope.from[depth] ?? []) {
      const t = binding.table
      if (t === undefined) continue
      let parts = 0
      if (folded.length >= 4 && folded[0] === catalog && folded[1] === t.schema && folded[2] === t.table) parts = 3
      else if (folded[0] === t.schema && folded[1] === t.table) parts = 2
      if (parts === 0) continue
      checkUnshadowed(binding, depth, scope)
      return { alias: t.alias, parts }
    }
  }
  return undefined
}

/** `main.orders.x` must not come to mean another binding named `orders` once the schema is dropped. */
function checkUnshadowed(binding: Binding, depth: number, scope: Scope): void {
  const t = binding.table as NonNullable<Binding['table']>
  for (let d = depth; d < scope.from.length; d++) {
    for (const other of scope.from[d] ?? []) {
      if (other === binding || other.name !== binding.name) continue
      if (d === depth && other.table?.schema === t.schema && other.table.table === t.table) continue
      throw new SqlRefusedError(
        `${t.schema}.${t.table} and another table are both named ${binding.name} here: give the tables aliases`,
      )
    }
  }
}

/** What one FROM item binds: its alias, or for a base table without one, its name (and schema). */
function binding(ref: Node, ctes: ReadonlySet<string>): Binding | undefined {
  const alias = String(ref.alias ?? '')
  if (alias !== '') return { name: foldDuckDbName(alias) }
  if (ref.type !== 'BASE_TABLE') return undefined
  const table = String(ref.table_name ?? '')
  const schema = foldDuckDbName(String(ref.schema_name ?? ''))
  if (schema === '' && String(ref.catalog_name ?? '') === '' && ctes.has(foldDuckDbName(table))) {
    return { name: foldDuckDbName(table) }
  }
  return {
    name: foldDuckDbName(table),
    table: { schema: schema || 'main', table: foldDuckDbName(table), alias: table },
  }
}
