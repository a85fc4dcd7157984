import { describe, expect, it } from 'vitest'
import { parseDuckDbAstJson } from './duckdb-ast.js'

describe('parseDuckDbAstJson', () => {
  it('keeps 64-bit query_location values exact, where JSON.parse would round them', () => {
    const json = '{"a":{"query_location":18446744073709551615,"x":1},"b":[{"query_location":14}]}'
    expect(JSON.parse(json).a.query_location).toBe(18446744073709552000)
    expect(parseDuckDbAstJson(json)).toEqual({
      a: { query_location: '18446744073709551615', x: 1 },
      b: [{ query_location: 14 }],
    })
  })

  it('leaves large numbers that are not query locations to the string values they sit in', () => {
    const json = '{"value":"query_location\\":18446744073709551615","query_location":3}'
    expect(parseDuckDbAstJson(json)).toEqual({ value: 'query_location":18446744073709551615', query_location: 3 })
  })
})
