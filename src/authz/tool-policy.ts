import type { Principal } from '../domain/principal.js'
import { AuthorizationError, isGatehouseError } from '../domain/errors.js'
import type { CelContext } from '../config/cel-condition.js'
import type { OutputPolicyAction, ProjectFile, ToolFileDefinition } from '../config/project-file-schema.js'
import { sensitiveFields } from '../config/sensitive-fields.js'
import { toolPolicyEnvironment } from '../config/tool-policy-environment.js'
import type { QueryResult } from '../data/engine.js'

/**
 * Tool policies (SPEC §6), pure: input policies may stop a call before its
 * SQL runs, output policies shape every row of its result. Every condition is
 * CEL over the principal (`user`, `tenant`, `token`) and the tool's
 * parameters. Anything that fails to evaluate denies: a policy never allows by
 * failing.
 */

export const MASK = '****'
/** A masked column holds text whatever it held before. */
const MASKED_TYPE = 'VARCHAR'

interface Condition {
  evaluate(context: CelContext): boolean
}

interface InputPolicy {
  readonly name: string
  readonly condition: Condition
  readonly reason: string
}

interface OutputPolicy {
  readonly name: string
  readonly condition: Condition | undefined
  readonly action: OutputPolicyAction
  /** Lower-cased: SQL names are case-insensitive. */
  readonly fields: readonly string[]
}

/** A tool's policies, compiled once per applied definition. */
export interface ToolPolicies {
  readonly input: readonly InputPolicy[]
  readonly output: readonly OutputPolicy[]
  /** The fields of the tool's connection declared `sensitive: true`, lower-cased. */
  readonly sensitive: ReadonlySet<string>
}

/** What the output policies that hold do to the result; `policies` names them, for the audit record. */
export interface OutputPlan {
  readonly policies: readonly string[]
  readonly steps: readonly OutputPolicy[]
  readonly sensitive: ReadonlySet<string>
}

/** The values of SPEC §6's context, as `config/tool-policy-environment.ts` declares them. */
export interface PolicyContext extends CelContext {
  readonly user: {
    readonly id: string
    readonly email: string
    readonly name: string
    readonly role: string
    readonly groups: readonly string[]
    readonly attributes: Readonly<Record<string, unknown>>
    readonly provider: string
  }
  readonly tenant: { readonly id: string; readonly attributes: Readonly<Record<string, unknown>> }
  readonly token: {
    readonly kind: string
    readonly scopes: readonly string[]
    readonly securityParams: Readonly<Record<string, unknown>>
  }
}

/**
 * Compiles a tool's policies; `undefined` when it has none. The file was
 * checked when it was applied, so a condition that no longer compiles (a
 * changed library, a hand-edited store) is kept as one that always denies.
 */
export function compileToolPolicies(project: ProjectFile, tool: ToolFileDefinition): ToolPolicies | undefined {
  const policies = tool.policies
  if (policies === undefined || (policies.input.length === 0 && policies.output.length === 0)) return undefined
  let compile: (source: string) => Condition
  try {
    const env = toolPolicyEnvironment(tool.parameters)
    compile = (source) => {
      try {
        return env.compile(source)
      } catch (error) {
        return brokenCondition(source, error)
      }
    }
  } catch (error) {
    compile = (source) => brokenCondition(source, error)
  }
  return {
    input: policies.input.map((p, i) => ({
      name: `${tool.name}.input[${i}]`,
      condition: compile(p.condition),
      reason: p.reason,
    })),
    output: policies.output.map((p, j) => ({
      name: `${tool.name}.output[${j}]`,
      condition: p.condition === undefined ? undefined : compile(p.condition),
      action: p.action,
      fields: (p.fields ?? []).map((f) => f.toLowerCase()),
    })),
    sensitive: sensitiveFields(project, tool.connection),
  }
}

/**
 * SPEC §6's context for a principal. For a tenant-user token, `user` is the
 * end user (`id` = `endUserId`, role `tenant_user`, no groups) and `tenant` is
 * set; for an API key, `user` is the key's owner. Fields a principal lacks are
 * empty, never absent, so a condition reads the same for every principal.
 */
export function policyContext(principal: Principal, parameters: Readonly<Record<string, unknown>>): PolicyContext {
  const tenantUser = principal.role === 'tenant_user'
  return {
    ...parameters,
    user: {
      id: (tenantUser ? principal.endUserId : principal.userId) ?? '',
      email: principal.email ?? '',
      name: principal.name ?? '',
      role: principal.role,
      groups: tenantUser ? [] : principal.groups,
      attributes: principal.attributes,
      // Gatehouse holds members' identities; a tenant's end user is vouched for by the product's project token.
      provider: tenantUser ? 'project' : 'gatehouse',
    },
    tenant: { id: principal.tenantId ?? '', attributes: principal.tenantAttributes ?? {} },
    token: { kind: principal.kind, scopes: principal.scopes, securityParams: principal.securityParams ?? {} },
  }
}

/**
 * Runs the input policies in order (the first that holds stops the call with
 * its reason), then decides which output policies hold, all before any SQL
 * runs. Throws `AuthorizationError` naming the policy when one denies or
 * cannot be evaluated.
 */
export function authorizeToolCall(policies: ToolPolicies, context: PolicyContext): OutputPlan {
  for (const policy of policies.input) {
    if (holds(policy.name, policy.condition, context)) {
      throw new AuthorizationError(policy.reason, { policy: policy.name, detail: `denied by ${policy.name}` })
    }
  }
  const steps = policies.output.filter((p) => p.condition === undefined || holds(p.name, p.condition, context))
  return { policies: steps.map((p) => p.name), steps, sensitive: policies.sensitive }
}

/**
 * Applies an output plan to every row: `filter_fields` and
 * `filter_sensitive_fields` remove columns (from `columns` and rows alike),
 * `mask_fields` replaces every value with `"****"`. A field that is neither a
 * column of the result nor declared sensitive means the tool's SQL changed
 * under its policy: the call is denied rather than answered unmasked.
 */
export function shapeResult(plan: OutputPlan, result: QueryResult): QueryResult {
  if (plan.steps.length === 0) return result
  const names = result.columns.map((c) => c.name.toLowerCase())
  const present = new Set(names)
  const removed = new Set<string>()
  const masked = new Set<string>()
  for (const step of plan.steps) {
    if (step.action === 'filter_sensitive_fields') {
      for (const name of names) if (plan.sensitive.has(name)) removed.add(name)
      continue
    }
    for (const field of step.fields) {
      if (!present.has(field) && !plan.sensitive.has(field)) {
        throw new AuthorizationError(`The call was refused by policy ${step.name}`, {
          policy: step.name,
          detail: `${step.name} names "${field}", which is not a column of the result (${names.join(', ')})`,
        })
      }
      ;(step.action === 'filter_fields' ? removed : masked).add(field)
    }
  }
  const keep: number[] = []
  names.forEach((name, i) => {
    if (!removed.has(name)) keep.push(i)
  })
  const mask = names.map((name) => masked.has(name))
  return {
    ...result,
    columns: keep.map((i) => {
      const column = result.columns[i] as QueryResult['columns'][number]
      return mask[i] === true ? { ...column, type: MASKED_TYPE } : column
    }),
    rows: result.rows.map((row) => keep.map((i) => (mask[i] === true ? MASK : row[i]))),
  }
}

function holds(name: string, condition: Condition, context: PolicyContext): boolean {
  try {
    return condition.evaluate(context)
  } catch (error) {
    throw new AuthorizationError(`The call was refused: policy ${name} could not be evaluated`, {
      policy: name,
      detail: isGatehouseError(error) ? (error.detail ?? error.message) : String(error),
      cause: error,
    })
  }
}

function brokenCondition(source: string, error: unknown): Condition {
  const reason = isGatehouseError(error) ? error.message : String(error)
  return {
    evaluate() {
      throw new AuthorizationError('The policy condition does not compile', { detail: `${source}: ${reason}` })
    },
  }
}
