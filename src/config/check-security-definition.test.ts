import { describe, expect, it } from 'vitest'
import { securitySchema } from './security-schema.js'
import { checkSecurityDefinition, templateNames } from './check-security-definition.js'

const policy = (expression: string) => ({
  name: 'p',
  connections: ['warehouse'],
  rows: [{ name: 'r', match: { column: 'tenant_id' }, expression }],
})

describe('checkSecurityDefinition', () => {
  it('accepts a policy whose parameters every assignment sets', () => {
    const security = securitySchema.parse({
      policies: [policy('tenant_id = {{ tenant_id }} AND region IN ({{ regions }})')],
      assignments: [{ to: { role: 'member' }, policy: 'p', params: { tenant_id: 1, regions: ['EMEA'] } }],
    })
    expect(checkSecurityDefinition(security, ['warehouse'])).toEqual([])
    expect(templateNames('a = {{ x }} or b = {{y}}')).toEqual(['x', 'y'])
  })

  it.each([
    [
      { policies: [{ name: 'p', connections: ['nope'] }] },
      'security.policies[0].connections[0]',
      'unknown connection nope',
    ],
    [{ policies: [policy('tenant_id = $1')] }, 'security.policies[0].rows[0].expression', 'placeholders'],
    [{ policies: [policy('tenant_id = ?')] }, 'security.policies[0].rows[0].expression', 'placeholders'],
    [{ policies: [policy("name = '{{ n }}'")] }, 'security.policies[0].rows[0].expression', 'inside quotes'],
    [
      { policies: [policy('tenant_id = {{ tenant_id }}')], assignments: [{ to: { role: 'admin' }, policy: 'p' }] },
      'security.assignments[0].params',
      'set params.tenant_id',
    ],
    [
      { policies: [policy('true')], assignments: [{ to: { role: 'admin' }, policy: 'p', params: { extra: 1 } }] },
      'security.assignments[0].params.extra',
      'uses no {{ extra }}',
    ],
  ])('reports %j at its key path', (input, path, message) => {
    const issues = checkSecurityDefinition(securitySchema.parse(input), ['warehouse'])
    expect(issues).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })])
  })

  it("accepts a quoted literal that merely contains '?' or '$'", () => {
    const security = securitySchema.parse({ policies: [policy("note <> 'why?' AND code <> 'US$'")] })
    expect(checkSecurityDefinition(security, ['warehouse'])).toEqual([])
  })
})
