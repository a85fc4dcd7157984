/**
 * What the row-level rewrite of a DuckDB query (`duckdb-rewrite.ts`) and the
 * restricted-table subquery (`duckdb-restricted-table.ts`) are given besides
 * the query and the restrictions.
 */
export interface DuckDbRewriteOptions {
  /** The database's own catalog name (`current_database()`), accepted as a qualifier, as the guard does. */
  readonly database: string
  /** Parameters the user's SQL binds (`$1…$k`, custom tools): the rules' values are numbered after them. */
  readonly parameterCount: number
  /** Each table's columns in catalog order (`schema.table` → names), to order the union of several policies' columns. */
  readonly tableColumns?: ReadonlyMap<string, readonly string[]>
  /**
   * The names DuckDB gives the query's unnamed select-list expressions that
   * the rewrite changes (`duckdb-expression-names.ts`), by node of the input:
   * each keeps its name as an alias, so a column called
   * `(SELECT count_star() FROM orders)` is not renamed after the subquery
   * that replaced `orders`.
   */
  readonly expressionNames?: ReadonlyMap<unknown, string>
}

/**
 * Each row rule's WHERE expression as DuckDB parsed it, by the rule's SQL
 * text (`duckdb-row-rule.ts`). The rewrite never parses SQL itself.
 */
export type DuckDbPredicateAsts = ReadonlyMap<string, unknown>
