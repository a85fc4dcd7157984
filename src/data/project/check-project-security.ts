import type { ConfigIssue } from '../../config/config-issue.js'
import type { SecurityDefinition } from '../../config/security-schema.js'
import { policyTableKey } from '../../config/security-schema.js'
import { bindTemplate } from '../sql/row-predicate.js'
import type { ParamValue } from '../sql/row-predicate.js'
import { templateNames } from '../../config/check-security-definition.js'
import type { Engine, TableInfo } from '../engine.js'

/**
 * `apply`'s catalog checks of the `security` section (SPEC §3.2): every table
 * and column a policy names exists in one of its connections, and every row
 * expression is bound by the engine itself on every table it applies to
 * (through the same guard as agents' SQL, parameters bound as NULL), so a
 * typo fails `apply` instead of denying or leaking at query time.
 */
export async function checkProjectSecurity(
  security: SecurityDefinition,
  engines: ReadonlyMap<string, Engine>,
  at = 'security',
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = []
  const issue = (path: string, message: string) => issues.push({ path: `${at}.${path}`, message })
  const catalogs = new Map<string, readonly TableInfo[]>()
  const defaultSchemas = new Map<string, string>()
  for (const [name, engine] of engines) {
    catalogs.set(name, await engine.tables())
    defaultSchemas.set(name, await engine.defaultSchema())
  }

  for (const [p, policy] of security.policies.entries()) {
    const tablesOf = policy.connections.flatMap((c) =>
      (catalogs.get(c) ?? []).map((t) => ({ connection: c, table: t })),
    )
    // A bare name is in the connection's default schema, as the policies and queries resolve it.
    const find = (name: string) =>
      tablesOf.filter(
        ({ connection, table }) =>
          `${table.schema}.${table.name}`.toLowerCase() === policyTableKey(name, defaultSchemas.get(connection) ?? ''),
      )
    const mustExist = (name: string, path: string) => {
      if (find(name).length === 0) {
        issue(path, `table ${name} does not exist in ${policy.connections.join(', ')} (or cannot be read)`)
      }
    }
    for (const kind of ['include', 'exclude'] as const) {
      policy.tables?.[kind]?.forEach((name, i) => mustExist(name, `policies[${p}].tables.${kind}[${i}]`))
    }
    for (const [name, filter] of Object.entries(policy.columns ?? {})) {
      const found = find(name)
      if (found.length === 0) {
        mustExist(name, `policies[${p}].columns.${name}`)
        continue
      }
      for (const kind of ['include', 'exclude'] as const) {
        filter[kind]?.forEach((column, i) => {
          const known = found.some(({ table }) =>
            table.columns.some((c) => c.name.toLowerCase() === column.toLowerCase()),
          )
          if (!known) issue(`policies[${p}].columns.${name}.${kind}[${i}]`, `table ${name} has no column "${column}"`)
        })
      }
    }
    for (const [r, rule] of (policy.rows ?? []).entries()) {
      const path = `policies[${p}].rows[${r}]`
      const targets =
        rule.tables !== undefined
          ? rule.tables.flatMap((name, i) => {
              mustExist(name, `${path}.tables[${i}]`)
              return find(name)
            })
          : tablesOf.filter(({ table }) =>
              table.columns.some((c) => c.name.toLowerCase() === rule.match?.column.toLowerCase()),
            )
      if (targets.length === 0 && rule.match !== undefined) {
        issue(
          `${path}.match.column`,
          `no table of ${policy.connections.join(', ')} has a column "${rule.match.column}"`,
        )
      }
      // NULL for every parameter: the engine checks names and types without a value.
      const params: Record<string, ParamValue> = {}
      for (const name of templateNames(rule.expression)) params[name] = ''
      const predicate = bindTemplate(rule.expression, params, `${policy.name}.${rule.name}`)
      for (const { connection, table } of targets) {
        const engine = engines.get(connection)
        if (engine === undefined) continue
        const sql = `SELECT 1 FROM ${quote(table.schema)}.${quote(table.name)} WHERE (${predicate.sql}) LIMIT 0`
        try {
          await engine.guard(sql, { allowParameters: true })
          await engine.query(sql, { maxRows: 1, params: predicate.values.map(() => null) })
        } catch (error) {
          issue(`${path}.expression`, `on ${table.schema}.${table.name}: ${reasonOf(error)}`)
        }
      }
    }
  }
  return issues
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`
}

function reasonOf(error: unknown): string {
  const detail = (error as { detail?: unknown }).detail
  if (typeof detail === 'string' && (error as { code?: unknown }).code === 'QUERY_FAILED') return detail
  return error instanceof Error ? error.message : String(error)
}
