import { describe, expect, it } from 'vitest'
import { ConfigError } from '../domain/errors.js'
import { projectFileFromObject } from './load-project-file.js'

type Tool = Record<string, unknown>

function load(tool: Tool, sensitive = true) {
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
              dimensions: [{ name: 'email', column: 'email', type: 'string', sensitive }],
            },
          ],
        },
      ],
      tools: [
        {
          name: 'top_customers',
          description: 'Top customers by revenue',
          connection: 'warehouse',
          parameters: [
            { name: 'limit', type: 'integer', default: 10 },
            { name: 'since', type: 'date', default: '2024-01-01' },
          ],
          sql: 'SELECT customer_id, revenue FROM main.top WHERE day >= $since LIMIT $limit',
          ...tool,
        },
      ],
    },
    'project.yaml',
    '/tmp',
    { reservedToolNames: [] },
  )
}

function problems(tool: Tool, sensitive = true): string[] {
  try {
    load(tool, sensitive)
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n')
    throw error
  }
  return []
}

const SPEC_EXAMPLE = {
  input: [
    { condition: "user.role != 'admin' && limit > 50", action: 'deny', reason: 'Only admins may list more than 50' },
  ],
  output: [{ condition: "user.role != 'admin'", action: 'mask_fields', fields: ['customer_id'] }],
}

describe('tool policies in a project file', () => {
  it('accepts the SPEC §3.2 example', () => {
    const file = load({ policies: SPEC_EXAMPLE })
    expect(file.tools[0]?.policies).toEqual(SPEC_EXAMPLE)
  })

  it('accepts every action, conditions over every context variable and each parameter type', () => {
    expect(
      problems({
        policies: {
          input: [
            { condition: "since < '2020-01-01' && !('analysts' in user.groups)", action: 'deny', reason: 'r' },
            {
              condition: "tenant.attributes.plan == 'free' && token.kind == 'project_token'",
              action: 'deny',
              reason: 'r',
            },
          ],
          output: [
            { action: 'filter_fields', fields: ['revenue'] },
            { condition: 'size(token.securityParams) > 0', action: 'mask_fields', fields: ['customer_id'] },
            { action: 'filter_sensitive_fields' },
          ],
        },
      }),
    ).toEqual([])
  })

  /** Each row breaks the policies in one way; the message names the key path and what is wrong. */
  it.each<[string, Tool, string]>([
    [
      'a syntax error',
      { policies: { input: [{ condition: 'limit >', action: 'deny', reason: 'r' }] } },
      'project.yaml: tools[0].policies.input[0].condition: syntax error: Unexpected token: EOF at character 8',
    ],
    [
      'an unknown variable',
      { policies: { input: [{ condition: 'limt > 50', action: 'deny', reason: 'r' }] } },
      'tools[0].policies.input[0].condition: type error: Unknown variable: limt',
    ],
    [
      'an unknown field of user',
      { policies: { output: [{ condition: "user.rol == 'x'", action: 'filter_sensitive_fields' }] } },
      'tools[0].policies.output[0].condition: type error: No such key: rol',
    ],
    [
      'a type error',
      { policies: { input: [{ condition: "limit > '50'", action: 'deny', reason: 'r' }] } },
      'tools[0].policies.input[0].condition: type error: no such overload: int > string',
    ],
    [
      'a condition that is not a boolean',
      { policies: { input: [{ condition: 'limit + 1', action: 'deny', reason: 'r' }] } },
      'tools[0].policies.input[0].condition: the condition is of type int; expected a boolean',
    ],
    [
      'an input action other than deny',
      { policies: { input: [{ condition: 'true', action: 'allow', reason: 'r' }] } },
      'tools[0].policies.input[0].action: expected deny',
    ],
    [
      'an input policy without a reason',
      { policies: { input: [{ condition: 'true', action: 'deny' }] } },
      'tools[0].policies.input[0].reason: expected a non-empty string, but it is missing',
    ],
    [
      'an unknown output action',
      { policies: { output: [{ action: 'hide_fields', fields: ['a'] }] } },
      'tools[0].policies.output[0].action: expected one of filter_fields, mask_fields, filter_sensitive_fields',
    ],
    [
      'mask_fields without fields',
      { policies: { output: [{ action: 'mask_fields' }] } },
      'tools[0].policies.output[0].fields: expected fields: the columns mask_fields applies to',
    ],
    [
      'filter_sensitive_fields with fields',
      { policies: { output: [{ action: 'filter_sensitive_fields', fields: ['email'] }] } },
      'tools[0].policies.output[0].fields: filter_sensitive_fields takes no fields',
    ],
    [
      'a field that is not a column name',
      { policies: { output: [{ action: 'filter_fields', fields: ['a; drop'] }] } },
      'tools[0].policies.output[0].fields[0]: expected a column name',
    ],
    [
      'an unknown key',
      { policies: { input: [], rows: [] } },
      'tools[0].policies.rows: unknown key; expected one of input, output',
    ],
    [
      'a parameter named like a context variable',
      {
        parameters: [{ name: 'user', type: 'string' }],
        sql: 'SELECT $user AS u',
        policies: { input: [{ condition: 'true', action: 'deny', reason: 'r' }] },
      },
      'tools[0].parameters[0].name: "user" is a variable of policy conditions (user, tenant, token); rename it',
    ],
    [
      'a parameter named with a CEL reserved word',
      {
        parameters: [{ name: 'namespace', type: 'string' }],
        sql: 'SELECT $namespace AS n',
        policies: { output: [{ action: 'filter_fields', fields: ['n'] }] },
      },
      'tools[0].parameters[0].name: "namespace" cannot be a variable of a CEL condition',
    ],
  ])('refuses %s with its key path', (_what, tool, expected) => {
    expect(problems(tool).join('\n')).toContain(expected)
  })

  it('reports every bad condition at once', () => {
    const found = problems({
      policies: {
        input: [
          { condition: 'limit >', action: 'deny', reason: 'r' },
          { condition: 'limit > 1', action: 'deny', reason: 'r' },
          { condition: 'nope', action: 'deny', reason: 'r' },
        ],
        output: [{ condition: '1 +', action: 'filter_fields', fields: ['revenue'] }],
      },
    })
    expect(found.map((line) => line.split(': ')[1])).toEqual([
      'tools[0].policies.input[0].condition',
      'tools[0].policies.input[2].condition',
      'tools[0].policies.output[0].condition',
    ])
  })

  it('refuses filter_sensitive_fields on a connection where nothing is declared sensitive', () => {
    expect(problems({ policies: { output: [{ action: 'filter_sensitive_fields' }] } }, false)).toEqual([
      'project.yaml: tools[0].policies.output[0].action: no field of connection "warehouse" is declared ' +
        'sensitive: true, so filter_sensitive_fields would remove nothing; mark the dimensions that are ' +
        'sensitive, or use filter_fields',
    ])
  })

  it('leaves parameters named like context variables alone in a tool without policies', () => {
    expect(problems({ parameters: [{ name: 'user', type: 'string' }], sql: 'SELECT $user AS u' })).toEqual([])
  })
})
