import { CelEnvironment } from './cel-condition.js'
import type { CelType } from './cel-condition.js'
import type { ParameterDefinition } from './project-file-schema.js'

/**
 * What a tool policy's condition may use (SPEC §6): `user`, `tenant`, `token`,
 * and the tool's parameters at top level (so `limit > 50` reads as written).
 * `authz/tool-policy.ts` fills these for a principal; a field missing there
 * fails closed.
 */
export const POLICY_CONTEXT = {
  user: {
    id: 'string',
    email: 'string',
    name: 'string',
    role: 'string',
    groups: 'list<string>',
    attributes: 'map<string, dyn>',
    provider: 'string',
  },
  tenant: { id: 'string', attributes: 'map<string, dyn>' },
  token: { kind: 'string', scopes: 'list<string>', securityParams: 'map<string, dyn>' },
} as const satisfies Readonly<Record<string, Readonly<Record<string, CelType>>>>

export const POLICY_CONTEXT_NAMES: readonly string[] = Object.keys(POLICY_CONTEXT)

const PARAMETER_TYPES: Readonly<Record<ParameterDefinition['type'], CelType>> = {
  string: 'string',
  integer: 'int',
  number: 'double',
  boolean: 'bool',
  // Dates arrive as YYYY-MM-DD text, which compares in calendar order.
  date: 'string',
}

let base: CelEnvironment | undefined

/** The environment a tool's conditions compile in. Throws `InputError` (field: the parameter) for a name a condition could not use. */
export function toolPolicyEnvironment(parameters: readonly ParameterDefinition[]): CelEnvironment {
  base ??= CelEnvironment.of(POLICY_CONTEXT)
  const variables: Record<string, CelType> = {}
  for (const parameter of parameters) variables[parameter.name] = PARAMETER_TYPES[parameter.type]
  return base.with(variables)
}
