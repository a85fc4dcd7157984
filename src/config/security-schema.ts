import { z } from 'zod'

/**
 * The `security` section of a project file (SPEC §3.2): policies (what a
 * principal may see: connections, schemas, tables, columns, rows) and
 * assignments (who gets which policy, with which parameter values).
 */

const policyName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/, {
  error: 'expected a name of letters, digits, "_" and "-", starting with a letter or "_"',
})
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
  error: 'expected a column or parameter name of letters, digits and "_"',
})
/** `schema.table` or a bare `table` (the connection's default schema). */
const tableName = z.string().regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, {
  error: 'expected a table name such as main.orders or orders',
})

const includeExclude = <T extends z.ZodType>(item: T) =>
  z
    .strictObject({ include: z.array(item).optional(), exclude: z.array(item).optional() })
    .refine((v) => v.include === undefined || v.exclude === undefined, {
      error: 'expected include or exclude, not both',
    })

export const rowRuleSchema = z
  .strictObject({
    name: policyName,
    /** Every table that has this column. */
    match: z.strictObject({ column: identifier }).optional(),
    /** These tables. */
    tables: z.array(tableName).min(1).optional(),
    /** A boolean SQL expression over the table's columns; `{{ param }}` values are bound, never spliced. */
    expression: z.string().min(1).max(4000),
  })
  .refine((r) => (r.match === undefined) !== (r.tables === undefined), {
    error: 'expected match: { column } or tables: [...] (exactly one), naming the tables the rule applies to',
  })

export const policySchema = z.strictObject({
  name: policyName,
  description: z.string().optional(),
  /** CLS: the connections this policy grants. */
  connections: z.array(z.string().min(1)).min(1, { error: 'expected at least one connection' }),
  /** SLS: visible schemas (default: all). */
  schemas: z.array(identifier).optional(),
  tables: includeExclude(tableName).optional(),
  columns: z.record(tableName, includeExclude(identifier)).optional(),
  /** RLS: rules matching a table are ANDed; a policy with rules shows only tables some rule matches. */
  rows: z.array(rowRuleSchema).min(1).optional(),
})

const scalar = z.union([z.string(), z.number(), z.boolean()])

/** A parameter taken from a token: it must name the values it may take (tokens narrow, never widen). */
export const tokenParamSchema = z.strictObject({
  from: z.string().regex(/^token\.securityParams\.[A-Za-z_][A-Za-z0-9_]*$/, {
    error: 'expected token.securityParams.<name>',
  }),
  within: z.array(scalar).min(1, { error: 'expected the values the parameter may take' }),
  default: z.union([scalar, z.array(scalar)]).optional(),
})

/** A literal, a list, a `{{ user.… }}` / `{{ tenant.… }}` template, or a token parameter. */
export const paramValueSchema = z.union([scalar, z.array(scalar), tokenParamSchema])

export const assignmentSchema = z.strictObject({
  to: z.union([
    z.strictObject({ role: z.enum(['owner', 'admin', 'member']) }),
    z.strictObject({ group: z.string().min(1) }),
    z.strictObject({ user: z.string().min(1) }),
    z.strictObject({ tenant: z.string().min(1) }),
  ]),
  policy: policyName,
  params: z.record(identifier, paramValueSchema).optional(),
})

export const securitySchema = z
  .strictObject({
    policies: z.array(policySchema).default([]),
    assignments: z.array(assignmentSchema).default([]),
  })
  .superRefine((security, ctx) => {
    const names = new Set<string>()
    security.policies.forEach((p, i) => {
      if (names.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `duplicate policy name ${p.name}` })
      }
      names.add(p.name)
    })
    security.assignments.forEach((a, i) => {
      if (!names.has(a.policy)) {
        ctx.addIssue({
          code: 'custom',
          path: ['assignments', i, 'policy'],
          message: `unknown policy ${a.policy}; expected one of ${[...names].join(', ') || '(none declared)'}`,
        })
      }
    })
  })

export type SecurityDefinition = z.infer<typeof securitySchema>
export type PolicyDefinition = SecurityDefinition['policies'][number]
export type AssignmentDefinition = SecurityDefinition['assignments'][number]
export type RowRuleDefinition = NonNullable<PolicyDefinition['rows']>[number]
export type ParamValueDefinition = z.infer<typeof paramValueSchema>

/**
 * A policy's table name as the catalog keys it: `schema.table`, lower-case; a
 * bare name is in the connection's default schema (the one a bare name in a
 * query resolves to), never "any schema", so a name means the same table to
 * `apply`, to the policies and to the query.
 */
export function policyTableKey(name: string, defaultSchema: string): string {
  const lower = name.toLowerCase()
  return lower.includes('.') ? lower : `${defaultSchema.toLowerCase()}.${lower}`
}
