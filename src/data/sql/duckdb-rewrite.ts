import type { DuckDbParameterSource } from './duckdb-placeholders.js'
import { DuckDbQueryRewriter } from './duckdb-query-rewriter.js'
import type { DuckDbPredicateAsts, DuckDbRewriteOptions } from './duckdb-rewrite-options.js'
import type { ConnectionRestrictions, RowPredicate, TableRestriction } from './restrictions.js'

type PredicateValue = RowPredicate['values'][number]

export interface DuckDbRewrite {
  /** The rewritten statement list, in `json_serialize_sql` form. */
  readonly ast: unknown
  /** The rules' and the session functions' values in placeholder order: `$(parameterCount + 1)` binds `values[0]`. */
  readonly values: readonly PredicateValue[]
  /** Whose values `values` holds, in that order. */
  readonly sources: readonly DuckDbParameterSource[]
  /** `policy.rule` of every alternative of every table the query reads. */
  readonly appliedRules: readonly string[]
  /** The tables the query reads. */
  readonly tables: readonly TableRestriction[]
}

/**
 * Rewrites one SELECT (DuckDB's own AST) so that it reads only what
 * `restrictions` admit (SPEC §3.2 rules, §5): every reference to a base table,
 * at any depth, becomes `(SELECT <visible columns> FROM schema.table WHERE
 * <rules>) AS <the reference's alias or table name>`, where a column that not
 * every policy shows is `CASE WHEN <rules of the policies that show it> THEN c
 * END`. A table that is not visible gets the guard's answer for a table that
 * does not exist. Each call of SPEC §5's SQL functions becomes `$n::VARCHAR`
 * bound to its value from `restrictions.session` (`session-functions.ts`).
 * Pure: no I/O, no engine; the input is never modified.
 *
 * CTE names are scoped exactly as DuckDB binds them (checked against DuckDB
 * 1.5): a CTE is visible to the CTEs after it and to the query that defines
 * it, not to its own body, except in the recursive arm of a recursive CTE; a
 * name DuckDB would resolve to a base table is always rewritten as one.
 *
 * The walk over queries and FROM clauses is `duckdb-query-rewriter.ts`;
 * expressions, CTE scoping and the restricted subquery each have a module.
 */
export function rewriteDuckDbSelect(
  ast: unknown,
  restrictions: ConnectionRestrictions,
  predicates: DuckDbPredicateAsts,
  options: DuckDbRewriteOptions,
): DuckDbRewrite {
  const rewriter = new DuckDbQueryRewriter(restrictions, predicates, options)
  const out = rewriter.transformRoot(ast)
  return {
    ast: out,
    values: rewriter.placeholders.values,
    sources: rewriter.placeholders.sources,
    appliedRules: [...rewriter.rules],
    tables: [...rewriter.tables.values()],
  }
}
