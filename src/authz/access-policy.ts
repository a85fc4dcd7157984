import type { Principal } from '../domain/principal.js'
import { AuthorizationError } from '../domain/errors.js'
import type {
  AssignmentDefinition,
  ParamValueDefinition,
  PolicyDefinition,
  RowRuleDefinition,
  SecurityDefinition,
} from '../config/security-schema.js'
import { policyTableKey } from '../config/security-schema.js'
import type { ConnectionRestrictions, RowAlternative, TableRestriction } from '../data/sql/restrictions.js'
import { andPredicates, bindTemplate } from '../data/sql/row-predicate.js'
import type { ParamValue } from '../data/sql/row-predicate.js'

/** A connection's catalog as the policies are resolved against it (lower-case names). */
export interface CatalogView {
  /** The schema a bare table name means (`main` in DuckDB, `public` in PostgreSQL). */
  readonly defaultSchema: string
  readonly tables: readonly { readonly schema: string; readonly name: string; readonly columns: readonly string[] }[]
}

export type { ParamValue }

/** One policy as it applies to a principal: the assignment that gave it and the parameter values. */
export interface AppliedPolicy {
  readonly policy: PolicyDefinition
  readonly params: Readonly<Record<string, ParamValue>>
}

/** What a principal may see of a project: connection name → restrictions. Absent connections are hidden (CLS). */
export type AccessGrant = ReadonlyMap<string, ConnectionRestrictions>

/**
 * The policies that apply to a principal (SPEC §3.2 assignments), with their
 * parameters resolved. Pure. Throws `AuthorizationError` (fail closed) when a
 * parameter cannot be resolved or a token asks for a value outside `within`.
 */
export function appliedPolicies(principal: Principal, security: SecurityDefinition): AppliedPolicy[] {
  const byName = new Map(security.policies.map((p) => [p.name, p]))
  const out: AppliedPolicy[] = []
  for (const assignment of security.assignments) {
    if (!assigns(assignment, principal)) continue
    const policy = byName.get(assignment.policy)
    if (policy === undefined) throw denied(`assignment names an unknown policy ${assignment.policy}`)
    const params: Record<string, ParamValue> = {}
    for (const [name, spec] of Object.entries(assignment.params ?? {})) {
      params[name] = resolveParam(name, spec, principal, assignment.policy)
    }
    out.push({ policy, params })
  }
  return out
}

function assigns(assignment: AssignmentDefinition, principal: Principal): boolean {
  const to = assignment.to
  const isTenant = principal.tenantId !== undefined || principal.role === 'tenant_user'
  if ('role' in to) return !isTenant && principal.role === to.role
  if ('group' in to) return !isTenant && principal.groups.includes(to.group)
  if ('user' in to) {
    const user = to.user.toLowerCase()
    return !isTenant && (principal.userId === to.user || principal.email?.toLowerCase() === user)
  }
  if (!isTenant || principal.tenantId === undefined) return false
  return to.tenant === '*' || to.tenant === principal.tenantId
}

const TEMPLATE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}$/

function resolveParam(name: string, spec: ParamValueDefinition, principal: Principal, policy: string): ParamValue {
  if (typeof spec === 'object' && !Array.isArray(spec)) {
    // A token parameter: only values named in `within`; absent → the default; anything else denies.
    const key = spec.from.slice('token.securityParams.'.length)
    const given = principal.securityParams?.[key]
    const value = given === undefined ? spec.default : given
    if (value === undefined)
      throw denied(`parameter ${name} of ${policy}: the token gives no ${key} and there is no default`)
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) {
      if (!spec.within.some((w) => w === v)) {
        throw denied(`parameter ${name} of ${policy}: a value outside the allowed ones`)
      }
    }
    return Array.isArray(value) ? (value as (string | number | boolean)[]) : (value as string | number | boolean)
  }
  if (typeof spec === 'string') {
    const match = TEMPLATE.exec(spec.trim())
    if (match === null) return spec
    const value = lookup(match[1] ?? '', principal)
    if (value === undefined) throw denied(`parameter ${name} of ${policy}: ${match[1]} is not set`)
    return value
  }
  return spec
}

/** `user.attributes.x`, `user.email`, `user.id`, `user.role`, `user.groups`, `tenant.id`, `tenant.attributes.x`. */
function lookup(path: string, principal: Principal): ParamValue | undefined {
  const [root, field, ...rest] = path.split('.')
  let value: unknown
  if (root === 'user') {
    if (field === 'attributes') value = dig(principal.attributes, rest)
    else if (rest.length > 0) return undefined
    else if (field === 'email') value = principal.email
    else if (field === 'id') value = principal.userId
    else if (field === 'role') value = principal.role
    else if (field === 'groups') value = principal.groups
  } else if (root === 'tenant') {
    if (field === 'attributes') value = dig(principal.tenantAttributes ?? {}, rest)
    else if (field === 'id' && rest.length === 0) value = principal.tenantId
  }
  return asParamValue(value)
}

function dig(object: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = object
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined
    }
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function asParamValue(value: unknown): ParamValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return value as (string | number | boolean)[]
  }
  return undefined
}

/**
 * What the applied policies grant on each connection (CLS, SLS, RLS), in the
 * `Restrictions` shape the rewriters apply. Pure. A policy with row rules
 * shows only the tables some rule matches; rules matching a table are ANDed;
 * several policies give several alternatives (rows ORed, each with its own columns).
 */
export function grantedAccess(
  applied: readonly AppliedPolicy[],
  catalogs: ReadonlyMap<string, CatalogView>,
): AccessGrant {
  const out = new Map<string, Map<string, { schema: string; table: string; alternatives: RowAlternative[] }>>()
  for (const { policy, params } of applied) {
    for (const connection of policy.connections) {
      const catalog = catalogs.get(connection)
      if (catalog === undefined) continue
      let tables = out.get(connection)
      if (tables === undefined) out.set(connection, (tables = new Map()))
      for (const table of catalog.tables) {
        const alternative = alternativeFor(policy, params, table, catalog.defaultSchema)
        if (alternative === undefined) continue
        const key = `${table.schema}.${table.name}`
        let entry = tables.get(key)
        if (entry === undefined)
          tables.set(key, (entry = { schema: table.schema, table: table.name, alternatives: [] }))
        entry.alternatives.push(alternative)
      }
    }
  }
  const result = new Map<string, ConnectionRestrictions>()
  for (const [connection, tables] of out) {
    result.set(connection, { tables: new Map<string, TableRestriction>(tables) })
  }
  return result
}

function alternativeFor(
  policy: PolicyDefinition,
  params: Readonly<Record<string, ParamValue>>,
  table: CatalogView['tables'][number],
  defaultSchema: string,
): RowAlternative | undefined {
  const key = `${table.schema}.${table.name}`
  if (policy.schemas !== undefined && !policy.schemas.some((s) => s.toLowerCase() === table.schema)) return undefined
  const include = policy.tables?.include?.map((t) => policyTableKey(t, defaultSchema))
  const exclude = policy.tables?.exclude?.map((t) => policyTableKey(t, defaultSchema))
  if (include !== undefined && !include.includes(key)) return undefined
  if (exclude?.includes(key) === true) return undefined

  let columns = [...table.columns]
  for (const [name, filter] of Object.entries(policy.columns ?? {})) {
    if (policyTableKey(name, defaultSchema) !== key) continue
    const inc = filter.include?.map((c) => c.toLowerCase())
    const exc = filter.exclude?.map((c) => c.toLowerCase())
    columns = columns.filter((c) => (inc === undefined || inc.includes(c)) && !(exc?.includes(c) ?? false))
  }
  if (columns.length === 0) return undefined

  if (policy.rows === undefined) return { policy: policy.name, rules: [], columns, predicate: null }
  const rules = policy.rows.filter((rule) => ruleMatches(rule, table, defaultSchema))
  // A policy with row rules hides the tables none of them match (SPEC §3.2).
  if (rules.length === 0) return undefined
  return {
    policy: policy.name,
    rules: rules.map((r) => r.name),
    columns,
    predicate: andPredicates(rules.map((r) => bindTemplate(r.expression, params, `${policy.name}.${r.name}`))),
  }
}

function ruleMatches(rule: RowRuleDefinition, table: CatalogView['tables'][number], defaultSchema: string): boolean {
  if (rule.tables !== undefined)
    return rule.tables.some((t) => policyTableKey(t, defaultSchema) === `${table.schema}.${table.name}`)
  return rule.match !== undefined && table.columns.includes(rule.match.column.toLowerCase())
}

function denied(detail: string): AuthorizationError {
  return new AuthorizationError('Access is denied by the data security policies', { detail })
}
