/**
 * What one principal may see of one connection (SPEC §3.2 `security`, §5):
 * the shape `authz` fills and the SQL rewriters apply. Schema/column-level
 * security (SLS) is which tables and columns exist at all; row-level security
 * (RLS) is which rows, and which cells of them, are visible.
 *
 * The semantics, for a table T with alternatives A1…An (one per policy that
 * admits T):
 * - T's rows are those for which some Ai's predicate holds (rows ORed across policies);
 * - a cell (row r, column c) is visible only when some Ai both admits r and lists c
 *   (never a column of one policy on a row admitted by another); otherwise it is NULL;
 * - T's columns are the union of the Ai's columns: every other column does not exist
 *   (absent from `SELECT *`, natural joins and `USING`, and naming it is the same error
 *   as naming a column that does not exist);
 * - a table absent from `tables` does not exist for the principal.
 *
 * Each base-table reference, at any depth, becomes a subquery yielding exactly
 * that; it is fenced so that no user predicate is evaluated on a hidden row.
 */
export interface ConnectionRestrictions {
  /** Visible tables by `schema.table` (lower-case, as the catalog names them). */
  readonly tables: ReadonlyMap<string, TableRestriction>
  /**
   * The values of SPEC §5's SQL functions for this principal: each call
   * (`get_username()`, `get_request_header('x-region')`…) is replaced by a
   * bound parameter holding its value. Absent: the functions do not exist.
   */
  readonly session?: SessionValues
}

/** What SPEC §5's SQL functions return for one call; null where the principal has no such value. */
export interface SessionValues {
  /** `get_username()`: the user's name, else their email. */
  readonly username: string | null
  /** `get_user_email()` */
  readonly userEmail: string | null
  /** `get_user_id()`: the user's id, or a tenant token's end-user id. */
  readonly userId: string | null
  /** `get_org_id()` */
  readonly orgId: string
  /** `get_tenant_id()` */
  readonly tenantId: string | null
  /** `get_user_external_token()`: set for custom tools only; undefined elsewhere, where the function does not exist. */
  readonly externalToken?: string | null
  /** `get_request_header(name)`: the allowlisted headers of the request, by lower-case name (absent → NULL). */
  readonly headers: ReadonlyMap<string, string>
}

export interface TableRestriction {
  readonly schema: string
  readonly table: string
  /** At least one: a table no policy admits is absent from `tables`. */
  readonly alternatives: readonly RowAlternative[]
}

/** What one policy admits of a table. */
export interface RowAlternative {
  /** The policy's name, for `explain` and the audit record. */
  readonly policy: string
  /** The row rules that applied (their names), for `explain` and the audit record. */
  readonly rules: readonly string[]
  /** Visible columns (lower-case, as the catalog names them), in table order. */
  readonly columns: readonly string[]
  /** The rows this policy admits; null admits every row. */
  readonly predicate: RowPredicate | null
}

/**
 * A boolean SQL expression in the connection's dialect over the table's own
 * columns (unqualified names), with positional placeholders `$1…$n` local to
 * this predicate; `values[i]` binds `$(i+1)`. A template list value (e.g.
 * `region IN ({{ regions }})`) is already expanded into one placeholder per
 * element. Values are bound as parameters, never spliced into SQL text.
 */
export interface RowPredicate {
  readonly sql: string
  readonly values: readonly (string | number | boolean | null)[]
}

/** The result of rewriting one query: SQL for the engine and every parameter value, in placeholder order. */
export interface RewrittenQuery {
  readonly sql: string
  readonly params: readonly unknown[]
  /** `policy.rule` names that applied to the tables the query reads, for the audit record. */
  readonly appliedRules: readonly string[]
}
