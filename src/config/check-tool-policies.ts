import { isGatehouseError } from '../domain/errors.js'
import type { CelEnvironment } from './cel-condition.js'
import type { ProjectFile, ToolFileDefinition } from './project-file-schema.js'
import { sensitiveFields } from './sensitive-fields.js'
import { POLICY_CONTEXT_NAMES, toolPolicyEnvironment } from './tool-policy-environment.js'

/**
 * Checks a tool's policies (SPEC §6) without touching a database: every
 * condition compiles (syntax and types, against `user`, `tenant`, `token` and
 * the tool's parameters), every parameter can be named in a condition, and a
 * `filter_sensitive_fields` policy has sensitive fields to remove. `apply`
 * then checks `fields` against the columns the tool returns.
 */
export function checkToolPolicies(
  project: ProjectFile,
  tool: ToolFileDefinition,
  at: string,
  issue: (path: string, message: string) => void,
): void {
  const policies = tool.policies
  if (policies === undefined) return
  let usable = true
  tool.parameters.forEach((parameter, p) => {
    const path = `${at}.parameters[${p}].name`
    if (POLICY_CONTEXT_NAMES.includes(parameter.name)) {
      issue(
        path,
        `"${parameter.name}" is a variable of policy conditions (${POLICY_CONTEXT_NAMES.join(', ')}); rename it`,
      )
      usable = false
      return
    }
    try {
      toolPolicyEnvironment([parameter])
    } catch (error) {
      issue(path, `${messageOf(error)}; rename it`)
      usable = false
    }
  })
  if (!usable) return
  let env: CelEnvironment
  try {
    env = toolPolicyEnvironment(tool.parameters)
  } catch {
    return // a parameter named twice, reported with the parameters
  }
  policies.input.forEach((policy, i) => {
    compile(env, policy.condition, `${at}.policies.input[${i}].condition`, issue)
  })
  const sensitive = sensitiveFields(project, tool.connection)
  policies.output.forEach((policy, j) => {
    if (policy.condition !== undefined) compile(env, policy.condition, `${at}.policies.output[${j}].condition`, issue)
    if (policy.action === 'filter_sensitive_fields' && sensitive.size === 0) {
      issue(
        `${at}.policies.output[${j}].action`,
        `no field of connection "${tool.connection}" is declared sensitive: true, so filter_sensitive_fields would ` +
          'remove nothing; mark the dimensions that are sensitive, or use filter_fields',
      )
    }
  })
}

function compile(env: CelEnvironment, condition: string, path: string, issue: (p: string, m: string) => void): void {
  try {
    env.compile(condition)
  } catch (error) {
    issue(path, messageOf(error))
  }
}

function messageOf(error: unknown): string {
  if (isGatehouseError(error)) return error.message
  return error instanceof Error ? error.message : String(error)
}
