import { SqlRefusedError } from './sql-refused-error.js'

/**
 * How deep a dev-mode query may nest, in AST nodes (SPEC §5): past DuckDB's own
 * parser limit (1000, `max_expression_depth`) and PostgreSQL's 500-operator
 * expressions, short of anything a person writes. The guards walk with a stack
 * of their own, so the limit is not for them: what runs after them (the RLS
 * rewriters, the deparser, the engines' planners) recurses once per level.
 */
export const MAX_NESTING = 1000

export function nestedTooDeeply(): SqlRefusedError {
  return new SqlRefusedError('The query is nested too deeply')
}

/**
 * A parser that gave up on nesting: bison's stack ("memory exhausted"), DuckDB's
 * `max_expression_depth` (whose advice, SET, is refused), or the stack of the
 * process. Its message names no table; it is answered as the guards answer.
 */
export function isNestingFailure(message: string): boolean {
  return /memory exhausted|max expression depth|maximum call stack size exceeded/i.test(message)
}
