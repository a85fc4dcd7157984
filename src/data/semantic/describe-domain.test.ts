import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { projectFileSchema } from '../../config/project-file-schema.js'
import { describeDomain } from './describe-domain.js'

const fixture = readFileSync(new URL('./sales-project.fixture.yaml', import.meta.url), 'utf8')
const sales = projectFileSchema.parse(parse(fixture)).domains[0]!

describe('describeDomain', () => {
  const description = describeDomain(sales)

  it('lists each dataset with its dimensions and measures, by name and qualified name', () => {
    const orders = description.datasets[0]
    expect(orders).toMatchObject({ name: 'orders', description: 'One row per order' })
    expect(orders?.dimensions).toContainEqual({
      name: 'region',
      qualified_name: 'orders.region',
      type: 'string',
      label: 'Sales region',
    })
    expect(orders?.dimensions).toContainEqual({
      name: 'order_date',
      qualified_name: 'orders.order_date',
      type: 'time',
      description: 'Day the order was placed',
    })
    expect(orders?.measures[0]).toEqual({
      name: 'revenue',
      qualified_name: 'orders.revenue',
      aggregation: 'sum',
      label: 'Revenue',
    })
  })

  it('gives the joins, the filter operators and the time granularities', () => {
    expect(description.joins).toContainEqual({ from: 'orders.customer_id', to: 'customers.id' })
    expect(description.filter_operators).toContain('between')
    expect(description.time_granularities).toEqual(['day', 'week', 'month', 'quarter', 'year'])
  })

  it('keeps tables, SQL, expressions and connections to itself', () => {
    const json = JSON.stringify(description)
    for (const hidden of ['main.orders', 'amount * quantity', 'country_name', 'warehouse', 'ordered_on']) {
      expect(json).not.toContain(hidden)
    }
  })

  it('is plain JSON: absent texts are left out rather than null', () => {
    expect(JSON.parse(JSON.stringify(description))).toEqual(description)
    expect(description.datasets[1]).not.toHaveProperty('description')
  })
})
