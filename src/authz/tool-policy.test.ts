import { describe, expect, it } from 'vitest'
import { projectFileFromObject } from '../config/load-project-file.js'
import type { ProjectFile, ToolFileDefinition } from '../config/project-file-schema.js'
import { AuthorizationError } from '../domain/errors.js'
import type { Principal } from '../domain/principal.js'
import type { QueryResult } from '../data/engine.js'
import { testPrincipal } from '../../test/support/test-principal.js'
import { MASK, authorizeToolCall, compileToolPolicies, policyContext, shapeResult } from './tool-policy.js'
import type { ToolPolicies } from './tool-policy.js'

type Policies = Record<string, unknown>

function project(policies: Policies, parameters: unknown[] = [{ name: 'limit', type: 'integer', default: 10 }]) {
  return projectFileFromObject(
    {
      project: 'analytics',
      connections: [{ name: 'warehouse', engine: 'duckdb', path: '/tmp/w.duckdb' }],
      domains: [
        {
          name: 'sales',
          datasets: [
            {
              name: 'customers',
              connection: 'warehouse',
              table: 'main.customers',
              dimensions: [
                { name: 'customer_email', column: 'email', type: 'string', sensitive: true },
                { name: 'region', column: 'region', type: 'string' },
              ],
            },
          ],
        },
      ],
      tools: [
        {
          name: 'top_customers',
          description: 'Top customers by revenue',
          connection: 'warehouse',
          parameters,
          sql: 'SELECT customer_id, email, region, revenue FROM main.top LIMIT $limit',
          policies,
        },
      ],
    },
    'project.yaml',
    '/tmp',
    { reservedToolNames: [] },
  )
}

function compiled(policies: Policies, parameters?: unknown[]): ToolPolicies {
  const file: ProjectFile = project(policies, parameters)
  const tool = file.tools[0] as ToolFileDefinition
  const out = compileToolPolicies(file, tool)
  if (out === undefined) throw new Error('expected policies')
  return out
}

const SPEC_EXAMPLE: Policies = {
  input: [
    { condition: "user.role != 'admin' && limit > 50", action: 'deny', reason: 'Only admins may list more than 50' },
  ],
  output: [{ condition: "user.role != 'admin'", action: 'mask_fields', fields: ['customer_id'] }],
}

const member = testPrincipal({ role: 'member', email: 'm@acme.example', name: 'Mia', groups: ['emea'] })
const admin = testPrincipal({ role: 'admin', email: 'a@acme.example' })
const tenantUser = testPrincipal({
  kind: 'project_token',
  userId: undefined,
  role: 'tenant_user',
  tenantId: 'ten_1',
  endUserId: 'end-42',
  tenantAttributes: { tenant_id: 7, plan: 'pro' },
  securityParams: { regions: ['EMEA'] },
  scopes: ['mcp:read'],
})

const RESULT: QueryResult = {
  columns: [
    { name: 'customer_id', type: 'INTEGER' },
    { name: 'email', type: 'VARCHAR' },
    { name: 'region', type: 'VARCHAR' },
    { name: 'revenue', type: 'DOUBLE' },
  ],
  rows: [
    [1, 'a@x.example', 'EMEA', 10.5],
    [2, null, 'NA', 3],
  ],
  row_count: 2,
  truncated: false,
}

function denial(run: () => unknown): AuthorizationError {
  try {
    run()
  } catch (error) {
    if (error instanceof AuthorizationError) return error
    throw error
  }
  throw new Error('expected a denial')
}

describe('policyContext', () => {
  it('makes an API key or OAuth principal the user it acts for, with no tenant', () => {
    const ctx = policyContext(
      testPrincipal({ role: 'admin', email: 'a@x', name: 'Ann', groups: ['g'], attributes: { region: 'EU' } }),
      { limit: 5 },
    )
    expect(ctx).toEqual({
      limit: 5,
      user: {
        id: 'usr_test',
        email: 'a@x',
        name: 'Ann',
        role: 'admin',
        groups: ['g'],
        attributes: { region: 'EU' },
        provider: 'gatehouse',
      },
      tenant: { id: '', attributes: {} },
      token: { kind: 'api_key', scopes: ['mcp:read'], securityParams: {} },
    })
  })

  it('makes a tenant-user token the end user, role tenant_user, no groups, with its tenant set', () => {
    const ctx = policyContext({ ...tenantUser, groups: ['ignored'] }, {})
    expect(ctx.user).toEqual({
      id: 'end-42',
      email: '',
      name: '',
      role: 'tenant_user',
      groups: [],
      attributes: {},
      provider: 'project',
    })
    expect(ctx.tenant).toEqual({ id: 'ten_1', attributes: { tenant_id: 7, plan: 'pro' } })
    expect(ctx.token).toEqual({ kind: 'project_token', scopes: ['mcp:read'], securityParams: { regions: ['EMEA'] } })
  })

  it('gives an org-user project token the member it names', () => {
    const ctx = policyContext(testPrincipal({ kind: 'project_token', role: 'member', userId: 'usr_9' }), {})
    expect(ctx.user.id).toBe('usr_9')
    expect(ctx.user.provider).toBe('gatehouse')
    expect(ctx.tenant.id).toBe('')
  })

  it.each<[string, Principal]>([
    ['a member', member],
    ['an OAuth user', testPrincipal({ kind: 'oauth', clientId: 'cli_1' })],
    ['a tenant user', tenantUser],
  ])('fills every field a condition may name, for %s', (_what, principal) => {
    const everything = [
      "user.id + user.email + user.name + user.role + user.provider != '~'",
      'size(user.groups) >= 0 && size(user.attributes) >= 0',
      "tenant.id != '~' && size(tenant.attributes) >= 0",
      "token.kind != '~' && size(token.scopes) >= 0 && size(token.securityParams) >= 0",
      'limit >= 0',
    ].join(' && ')
    const policies = compiled({ input: [{ condition: `!(${everything})`, action: 'deny', reason: 'r' }] })
    expect(() => authorizeToolCall(policies, policyContext(principal, { limit: 10 }))).not.toThrow()
  })
})

describe('input policies', () => {
  it('deny a member asking for more than 50, with the policy reason and name', () => {
    const error = denial(() => authorizeToolCall(compiled(SPEC_EXAMPLE), policyContext(member, { limit: 60 })))
    expect(error.code).toBe('AUTHZ_DENIED')
    expect(error.message).toBe('Only admins may list more than 50')
    expect(error.policy).toBe('top_customers.input[0]')
  })

  it.each([
    ['an admin asking for 60', admin, 60],
    ['a member asking for 50', member, 50],
  ])('allow %s', (_what, principal, limit) => {
    expect(() => authorizeToolCall(compiled(SPEC_EXAMPLE), policyContext(principal, { limit }))).not.toThrow()
  })

  it('run in order: the first that holds gives the reason', () => {
    const policies = compiled({
      input: [
        { condition: 'limit > 100', action: 'deny', reason: 'first' },
        { condition: 'limit > 5', action: 'deny', reason: 'second' },
        { condition: 'limit > 1', action: 'deny', reason: 'third' },
      ],
    })
    const error = denial(() => authorizeToolCall(policies, policyContext(member, { limit: 50 })))
    expect([error.message, error.policy]).toEqual(['second', 'top_customers.input[1]'])
  })

  it('see tenant attributes and token parameters', () => {
    const policies = compiled({
      input: [
        {
          condition: "tenant.attributes.plan != 'pro' || !('EMEA' in token.securityParams.regions)",
          action: 'deny',
          reason: 'pro plan, EMEA only',
        },
      ],
    })
    expect(() => authorizeToolCall(policies, policyContext(tenantUser, { limit: 1 }))).not.toThrow()
    const other = { ...tenantUser, securityParams: { regions: ['NA'] } }
    expect(denial(() => authorizeToolCall(policies, policyContext(other, { limit: 1 }))).message).toBe(
      'pro plan, EMEA only',
    )
  })
})

/** Each row is a way a condition can fail at run time: every one denies, none allows. */
const FAIL_CLOSED: readonly [string, string, Principal][] = [
  ['an unknown key of a map', "user.attributes.department == 'sales'", member],
  ['a type error at run time', "tenant.attributes.tenant_id > 'x'", tenantUser],
  ['a non-boolean result', 'user.attributes.level', testPrincipal({ attributes: { level: 3 } })],
  ['a throwing function (division by zero)', 'limit / 0 > 1', member],
  ['a throwing function (conversion)', 'int(user.email) > 1', member],
  ['a throwing function (regular expression)', "user.name.matches('(')", member],
  ['a token parameter that is absent', "'EMEA' in token.securityParams.regions", member],
]

describe('a condition that cannot be evaluated denies', () => {
  it.each(FAIL_CLOSED)('as an input policy: %s', (_what, condition, principal) => {
    // Written so that "false" would allow: an error must not read as false.
    const policies = compiled({ input: [{ condition, action: 'deny', reason: 'never shown' }] })
    const error = denial(() => authorizeToolCall(policies, policyContext(principal, { limit: 10 })))
    expect(error.policy).toBe('top_customers.input[0]')
    expect(error.message).toBe('The call was refused: policy top_customers.input[0] could not be evaluated')
    expect(error.detail).toContain(condition)
  })

  it.each(FAIL_CLOSED)('as an output policy: %s', (_what, condition, principal) => {
    // Written so that "false" would leave the field unmasked.
    const policies = compiled({ output: [{ condition, action: 'mask_fields', fields: ['email'] }] })
    const error = denial(() => authorizeToolCall(policies, policyContext(principal, { limit: 10 })))
    expect(error.policy).toBe('top_customers.output[0]')
  })

  it('denies when a parameter value is missing from the context', () => {
    const error = denial(() => authorizeToolCall(compiled(SPEC_EXAMPLE), policyContext(member, {})))
    expect(error.policy).toBe('top_customers.input[0]')
  })
})

describe('output policies', () => {
  it('mask a field for a non-admin and leave it for an admin (the SPEC example)', () => {
    const policies = compiled(SPEC_EXAMPLE)
    const forMember = authorizeToolCall(policies, policyContext(member, { limit: 10 }))
    expect(forMember.policies).toEqual(['top_customers.output[0]'])
    const shaped = shapeResult(forMember, RESULT)
    expect(shaped.columns[0]).toEqual({ name: 'customer_id', type: 'VARCHAR' })
    expect(shaped.rows.map((r) => r[0])).toEqual([MASK, MASK])
    expect(shaped.rows[0]?.slice(1)).toEqual(['a@x.example', 'EMEA', 10.5])

    const forAdmin = authorizeToolCall(policies, policyContext(admin, { limit: 10 }))
    expect(forAdmin.policies).toEqual([])
    expect(shapeResult(forAdmin, RESULT)).toBe(RESULT)
  })

  it('filter_fields removes the fields from columns and rows', () => {
    const plan = authorizeToolCall(
      compiled({ output: [{ action: 'filter_fields', fields: ['email', 'Revenue'] }] }),
      policyContext(member, { limit: 1 }),
    )
    expect(shapeResult(plan, RESULT)).toEqual({
      ...RESULT,
      columns: [RESULT.columns[0], RESULT.columns[2]],
      rows: [
        [1, 'EMEA'],
        [2, 'NA'],
      ],
    })
  })

  it('mask_fields masks null values too, so a mask says nothing about the value', () => {
    const plan = authorizeToolCall(
      compiled({ output: [{ action: 'mask_fields', fields: ['email'] }] }),
      policyContext(member, { limit: 1 }),
    )
    expect(shapeResult(plan, RESULT).rows.map((r) => r[1])).toEqual([MASK, MASK])
  })

  it('filter_sensitive_fields removes the columns declared sensitive (by dimension name or column)', () => {
    const plan = authorizeToolCall(
      compiled({ output: [{ action: 'filter_sensitive_fields' }] }),
      policyContext(member, { limit: 1 }),
    )
    expect(plan.policies).toEqual(['top_customers.output[0]'])
    const shaped = shapeResult(plan, RESULT)
    expect(shaped.columns.map((c) => c.name)).toEqual(['customer_id', 'region', 'revenue'])
    expect(shaped.rows).toEqual([
      [1, 'EMEA', 10.5],
      [2, 'NA', 3],
    ])
  })

  it('apply in order and name only those whose condition holds', () => {
    const plan = authorizeToolCall(
      compiled({
        output: [
          { condition: "user.role == 'admin'", action: 'filter_fields', fields: ['region'] },
          { action: 'mask_fields', fields: ['region', 'revenue'] },
          { condition: "'emea' in user.groups", action: 'filter_fields', fields: ['revenue'] },
        ],
      }),
      policyContext(member, { limit: 1 }),
    )
    expect(plan.policies).toEqual(['top_customers.output[1]', 'top_customers.output[2]'])
    const shaped = shapeResult(plan, RESULT)
    expect(shaped.columns.map((c) => c.name)).toEqual(['customer_id', 'email', 'region'])
    expect(shaped.rows[0]).toEqual([1, 'a@x.example', MASK])
  })

  it('accept a declared sensitive field the result does not hold', () => {
    const plan = authorizeToolCall(
      compiled({ output: [{ action: 'mask_fields', fields: ['customer_email'] }] }),
      policyContext(member, { limit: 1 }),
    )
    expect(shapeResult(plan, RESULT)).toEqual(RESULT)
  })

  it('deny a result that no longer has a field a policy names, rather than answer it unmasked', () => {
    const plan = authorizeToolCall(
      compiled({ output: [{ action: 'mask_fields', fields: ['region'] }] }),
      policyContext(member, { limit: 1 }),
    )
    const renamed = {
      ...RESULT,
      columns: RESULT.columns.map((c) => (c.name === 'region' ? { ...c, name: 'area' } : c)),
    }
    const error = denial(() => shapeResult(plan, renamed))
    expect(error.policy).toBe('top_customers.output[0]')
    expect(error.detail).toContain('"region"')
  })
})

describe('compileToolPolicies', () => {
  it('returns nothing for a tool without policies', () => {
    const file = project({})
    expect(compileToolPolicies(file, file.tools[0] as ToolFileDefinition)).toBeUndefined()
  })

  it('keeps a condition that does not compile (a stored definition gone stale) as one that denies', () => {
    const file = project({ input: [{ condition: 'limit > 1', action: 'deny', reason: 'r' }] })
    const tool = file.tools[0] as ToolFileDefinition
    const stale = {
      ...tool,
      policies: { input: [{ condition: 'limt >', action: 'deny' as const, reason: 'r' }], output: [] },
    }
    const policies = compileToolPolicies(file, stale)
    const error = denial(() => authorizeToolCall(policies as ToolPolicies, policyContext(admin, { limit: 0 })))
    expect(error.policy).toBe('top_customers.input[0]')
  })
})
