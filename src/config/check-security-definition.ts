import type { ConfigIssue } from './config-issue.js'
import type { SecurityDefinition } from './security-schema.js'

const TEMPLATE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/** The `{{ name }}` parameters a row expression uses. */
export function templateNames(expression: string): string[] {
  return [...expression.matchAll(TEMPLATE)].map((m) => m[1] ?? '')
}

/**
 * Whether `{{ … }}` appears inside a quoted literal or identifier, where it
 * would not be a bound parameter but text (and would silently never match).
 */
function templateInsideQuotes(expression: string): boolean {
  let quote: string | undefined
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i]
    if (quote !== undefined) {
      if (c === quote) quote = expression[i + 1] === quote ? (i++, quote) : undefined
      else if (c === '{' && expression[i + 1] === '{') return true
    } else if (c === "'" || c === '"') quote = c
  }
  return false
}

/**
 * The checks of the `security` section that need no connection (SPEC §3.2):
 * policies name declared connections; row expressions use `{{ param }}` only
 * where a value can be bound, and never write placeholders of their own; every
 * parameter a policy's rules use is set by every assignment of that policy.
 * The catalog checks (tables, columns, expressions bound by the engine) follow in `apply`.
 */
export function checkSecurityDefinition(
  security: SecurityDefinition,
  connections: readonly string[],
  at = 'security',
): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const issue = (path: string, message: string) => issues.push({ path: `${at}.${path}`, message })
  const used = new Map<string, Set<string>>()
  security.policies.forEach((policy, p) => {
    policy.connections.forEach((name, c) => {
      if (!connections.includes(name)) {
        issue(
          `policies[${p}].connections[${c}]`,
          `unknown connection ${name}; expected one of ${connections.join(', ')}`,
        )
      }
    })
    const names = new Set<string>()
    policy.rows?.forEach((rule, r) => {
      const where = `policies[${p}].rows[${r}].expression`
      if (/\$\d/.test(rule.expression) || /\?/.test(rule.expression.replace(/'[^']*'/g, ''))) {
        issue(where, 'write parameters as {{ name }}; placeholders ($1, ?) are not accepted in a row expression')
      }
      if (templateInsideQuotes(rule.expression)) {
        issue(
          where,
          "{{ … }} inside quotes is text, not a bound value; write region = {{ region }}, not '{{ region }}'",
        )
      }
      for (const name of templateNames(rule.expression)) names.add(name)
    })
    used.set(policy.name, names)
  })
  security.assignments.forEach((assignment, a) => {
    const needed = used.get(assignment.policy) ?? new Set<string>()
    const given = new Set(Object.keys(assignment.params ?? {}))
    for (const name of needed) {
      if (!given.has(name)) {
        issue(`assignments[${a}].params`, `policy ${assignment.policy} uses {{ ${name} }}; set params.${name}`)
      }
    }
    for (const name of given) {
      if (!needed.has(name)) {
        issue(`assignments[${a}].params.${name}`, `policy ${assignment.policy} uses no {{ ${name} }}`)
      }
    }
  })
  return issues
}
