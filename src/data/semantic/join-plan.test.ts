import { describe, expect, it } from 'vitest'
import type { DomainDefinition } from '../../config/project-file-schema.js'
import { planJoins } from './join-plan.js'

const dataset = (name: string) => ({ name, connection: 'w', table: name, dimensions: [], measures: [] })

// a - b - c - d, with a shortcut a - d, and e alone; b.x → z.y names a dataset the domain lacks.
const domain: DomainDefinition = {
  name: 'graph',
  datasets: ['a', 'b', 'c', 'd', 'e'].map(dataset),
  joins: [
    { from: 'a.b_id', to: 'b.id' },
    { from: 'c.b_id', to: 'b.id' },
    { from: 'c.d_id', to: 'd.id' },
    { from: 'd.a_id', to: 'a.id' },
    { from: 'b.x', to: 'z.y' },
  ],
}

const steps = (base: string, needed: string[]) =>
  planJoins(domain, base, needed).map((s) => `${s.parent}.${s.parentColumn} = ${s.dataset.name}.${s.column}`)

describe('planJoins', () => {
  it('joins nothing for the base alone', () => {
    expect(steps('a', ['a'])).toEqual([])
  })

  it('walks a join from its to side as well as its from side', () => {
    expect(steps('b', ['a'])).toEqual(['b.id = a.b_id'])
  })

  it('takes the shortest path, and joins the datasets on it in order', () => {
    expect(steps('a', ['c'])).toEqual(['a.b_id = b.id', 'b.id = c.b_id'])
    expect(steps('a', ['d'])).toEqual(['a.id = d.a_id'])
  })

  it('joins each dataset once when paths share it', () => {
    expect(steps('a', ['c', 'b', 'd'])).toEqual(['a.b_id = b.id', 'a.id = d.a_id', 'b.id = c.b_id'])
  })

  it('refuses a dataset that no join reaches, naming it', () => {
    expect(() => steps('a', ['e'])).toThrow(
      expect.objectContaining({
        code: 'INPUT_INVALID',
        message: 'Dataset "e" cannot be joined to "a": domain "graph" declares no join path between them',
      }),
    )
  })
})
