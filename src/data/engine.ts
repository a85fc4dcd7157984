/** A column of a result or a table, with the engine's own type name. */
export interface ColumnInfo {
  readonly name: string
  readonly type: string
}

/** SPEC §5's data result: what tools return as `structuredContent`. */
export interface QueryResult {
  readonly columns: readonly ColumnInfo[]
  /** JSON-safe values: integers beyond 2^53 and decimals arrive as strings, times as ISO text. */
  readonly rows: readonly (readonly unknown[])[]
  readonly row_count: number
  /** True when the query had more rows than `maxRows`. */
  readonly truncated: boolean
}

export interface QueryOptions {
  readonly maxRows: number
  /** Positional parameters, bound (never spliced): `$1`, `$2`… in the SQL, on every engine. */
  readonly params?: readonly unknown[]
  /** Aborting interrupts the running statement. */
  readonly signal?: AbortSignal
}

export interface TableInfo {
  readonly schema: string
  readonly name: string
  readonly columns: readonly (ColumnInfo & { readonly nullable: boolean })[]
}

/**
 * One data connection, read-only. Engines run SQL that has already passed the
 * dev-mode guard or was compiled by Gatehouse; they add the engine-level
 * safety nets (read-only access, no external access, locked configuration).
 */
export interface Engine extends AsyncDisposable {
  readonly kind: 'duckdb' | 'postgres'
  query(sql: string, options: QueryOptions): Promise<QueryResult>
  /** User tables of the connection's catalog, without system schemas. */
  tables(): Promise<TableInfo[]>
  close(): Promise<void>
}
