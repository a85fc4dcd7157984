import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { semanticQuerySchema, semanticQueryShape } from './semantic-query.js'

describe('the standard-mode query request', () => {
  it('defaults every list to empty and leaves the limit to the server', () => {
    expect(semanticQuerySchema.parse({ domain: 'sales', measures: ['revenue'] })).toEqual({
      domain: 'sales',
      dimensions: [],
      measures: ['revenue'],
      filters: [],
      order_by: [],
    })
  })

  it('accepts orders as a field name or as a field with a direction', () => {
    const query = semanticQuerySchema.parse({
      domain: 'sales',
      order_by: ['region', { field: 'revenue', direction: 'desc' }, { field: 'status' }],
    })
    expect(query.order_by).toEqual(['region', { field: 'revenue', direction: 'desc' }, { field: 'status' }])
  })

  it.each([
    ['an operator outside the list', { filters: [{ field: 'region', op: 'like', value: 'E%' }] }],
    ['a misspelt filter key', { filters: [{ field: 'region', op: 'in', values: ['EMEA'] }] }],
    ['a direction outside asc and desc', { order_by: [{ field: 'region', direction: 'up' }] }],
    ['a limit that is not a positive integer', { limit: 0 }],
    ['a fractional limit', { limit: 1.5 }],
    ['an empty field name', { dimensions: [''] }],
  ])('refuses %s', (_, query) => {
    expect(semanticQuerySchema.safeParse({ domain: 'sales', ...query }).success).toBe(false)
  })

  it('describes every field to agents, and can be extended by the tool', () => {
    const schema = z.toJSONSchema(z.object({ ...semanticQueryShape, project: z.string().optional() }), { io: 'input' })
    const properties = schema.properties as Record<string, { description?: string }>
    for (const key of Object.keys(semanticQueryShape)) expect(properties[key]?.description, key).toBeTruthy()
    expect(properties.dimensions?.description).toContain('order_date:month')
    expect(properties.dimensions?.description).toContain('dataset.name')
    expect(Object.keys(properties)).toContain('project')
  })
})
