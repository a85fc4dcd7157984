import { AuthorizationError } from '../../domain/errors.js'
import type { RowPredicate } from './restrictions.js'

/** A parameter value of a row rule: a scalar, or a list expanded into one placeholder per element. */
export type ParamValue = string | number | boolean | readonly (string | number | boolean)[]

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/**
 * `tenant_id = {{ tenant_id }}` → `tenant_id = $1` with the value bound. A
 * list becomes one placeholder per element (`IN ($1, $2)`); an empty list one
 * NULL, which matches nothing. An unknown parameter denies (fail closed).
 */
export function bindTemplate(
  expression: string,
  params: Readonly<Record<string, ParamValue>>,
  rule: string,
): RowPredicate {
  const values: (string | number | boolean | null)[] = []
  const sql = expression.replace(PLACEHOLDER, (_match, name: string) => {
    if (!Object.hasOwn(params, name)) throw denied(`rule ${rule} uses {{ ${name} }}, which its assignment does not set`)
    const value = params[name] as ParamValue
    const list: readonly (string | number | boolean | null)[] = Array.isArray(value)
      ? (value as readonly (string | number | boolean)[])
      : [value as string | number | boolean]
    const items = list.length === 0 ? [null] : list
    return items
      .map((v) => {
        values.push(v)
        return `$${values.length}`
      })
      .join(', ')
  })
  return { sql, values }
}

/** Rules matching one table are ANDed; each keeps its own placeholders, renumbered into one predicate. */
export function andPredicates(predicates: readonly RowPredicate[]): RowPredicate {
  if (predicates.length === 1) return predicates[0] as RowPredicate
  const values: (string | number | boolean | null)[] = []
  const parts = predicates.map((p) => {
    const offset = values.length
    values.push(...p.values)
    return `(${p.sql.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) + offset}`)})`
  })
  return { sql: parts.join(' AND '), values }
}

function denied(detail: string): AuthorizationError {
  return new AuthorizationError('Access is denied by the data security policies', { detail })
}
