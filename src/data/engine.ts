import type { ConnectionRestrictions, RewrittenQuery } from './sql/restrictions.js'

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
  /** Guard the SQL first (dev-mode rules), in the same round trip where the engine allows. */
  readonly guard?: GuardOptions
}

/** A user table a query reads, as the engine's catalog names it. */
export interface TableRef {
  readonly schema: string
  readonly table: string
}

export interface GuardOptions {
  /** SQL that Gatehouse compiles, or that a custom tool declares, carries its own parameters. */
  readonly allowParameters: boolean
}

/** A principal's query under its data security (SPEC §5 CLS/SLS/RLS). */
export interface RestrictedQueryOptions extends QueryOptions {
  /** What the principal may see of this connection; tables absent from it do not exist. */
  readonly restrictions: ConnectionRestrictions
  /** The dev-mode guard applies over the visible tables only (always, for a principal's query). */
  readonly guard: GuardOptions
}

/** A restricted query's rows and what was applied, for the audit record and `explain`. */
export interface RestrictedQueryResult {
  readonly result: QueryResult
  /** `policy.rule` names of the row rules that applied to the tables the query read. */
  readonly appliedRules: readonly string[]
}

export interface RewriteOptions {
  readonly restrictions: ConnectionRestrictions
  readonly guard: GuardOptions
  /** Values of the query's own `$1…$k` (compiled queries, custom tools). */
  readonly params?: readonly unknown[]
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
  /**
   * The dev-mode guard (SPEC §5), with the engine's own parser: exactly one
   * read-only SELECT over user tables of this connection and allowlisted
   * functions. Returns the tables it reads; throws `SqlRefusedError`.
   */
  guard(sql: string, options: GuardOptions): Promise<TableRef[]>
  /** Runs SQL that passed `guard`; engine failures become `QueryFailedError` in a generic form. */
  query(sql: string, options: QueryOptions): Promise<QueryResult>
  /**
   * Runs a principal's query under its restrictions: guarded over the visible
   * tables, rewritten (`rewrite`), and only the rewritten SQL is prepared and
   * run, so the engine never binds the query against hidden tables or
   * columns. A hidden name gets the same error as one that does not exist.
   */
  restrictedQuery(sql: string, options: RestrictedQueryOptions): Promise<RestrictedQueryResult>
  /** The SQL and parameters `restrictedQuery` would run (for `gatehouse explain`); nothing is executed. */
  rewrite(sql: string, options: RewriteOptions): Promise<RewrittenQuery>
  /** Why this connection must not be used (e.g. a PostgreSQL superuser role); empty when it is safe. */
  check(): Promise<string[]>
  /** The schema a bare table name resolves to: DuckDB's `main`, the PostgreSQL role's `current_schema()`. */
  defaultSchema(): Promise<string>
  /** User tables of the connection's catalog, without system schemas. */
  tables(): Promise<TableInfo[]>
  close(): Promise<void>
}
