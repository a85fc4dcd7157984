import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { canonicalJson, GENESIS_HASH, hashStoredRecord, hashRecord } from './audit-chain.js'
import type { ChainedFields } from './audit-chain.js'

const fields: ChainedFields = {
  chain_id: 'chn_test',
  chain_seq: 1,
  at: 1_700_000_000_000,
  type: 'mcp.call',
  org_id: 'org_1',
  data: { tool: 'run_sql', decision: 'allow', rows: 1 },
}

describe('canonicalJson', () => {
  it('sorts object keys at every depth, whatever order they were built in', () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }
    const b = { a: { c: null, d: [3, { y: 2, z: 1 }] }, b: 1 }
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}')
    expect(canonicalJson(b)).toBe(canonicalJson(a))
  })

  it('keeps array order', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]')
  })

  it('follows JSON.stringify for undefined, non-finite numbers, toJSON and escapes', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}')
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]')
    expect(canonicalJson({ n: Number.NaN, i: Number.POSITIVE_INFINITY })).toBe('{"i":null,"n":null}')
    expect(canonicalJson({ d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}')
    expect(canonicalJson({ 'quo"te': 'line\nbreak \u2028' })).toBe(JSON.stringify({ 'quo"te': 'line\nbreak \u2028' }))
  })

  it('sorts keys by UTF-16 code unit, so the order does not depend on the locale', () => {
    expect(canonicalJson({ b: 1, B: 2, é: 3, a: 4 })).toBe('{"B":2,"a":4,"b":1,"é":3}')
  })

  it('refuses values with no JSON form instead of hashing something ambiguous', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => canonicalJson(cyclic)).toThrow(TypeError)
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError)
    expect(() => canonicalJson(undefined)).toThrow(TypeError)
  })

  it('accepts the same object twice when it is not its own ancestor', () => {
    const shared = { x: 1 }
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}')
  })
})

describe('hashRecord', () => {
  it('starts every chain from 64 zeros', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/)
  })

  it('is hex SHA-256 over the previous hash and the canonical JSON of the fields', () => {
    const expected = createHash('sha256')
      .update(GENESIS_HASH)
      .update(
        '{"at":1700000000000,"chain_id":"chn_test","chain_seq":1,' +
          '"data":{"decision":"allow","rows":1,"tool":"run_sql"},"org_id":"org_1","type":"mcp.call"}',
      )
      .digest('hex')
    expect(hashRecord(GENESIS_HASH, fields)).toBe(expected)
  })

  it.each([
    ['chain_id', { chain_id: 'chn_other' }],
    ['chain_seq', { chain_seq: 2 }],
    ['at', { at: 1_700_000_000_001 }],
    ['type', { type: 'auth.failed' }],
    ['org_id', { org_id: null }],
    ['data', { data: { tool: 'run_sql', decision: 'deny', rows: 1 } }],
  ])('changes when %s changes', (_field, change) => {
    expect(hashRecord(GENESIS_HASH, { ...fields, ...change })).not.toBe(hashRecord(GENESIS_HASH, fields))
  })

  it('changes when the previous hash changes', () => {
    expect(hashRecord('f'.repeat(64), fields)).not.toBe(hashRecord(GENESIS_HASH, fields))
  })

  it('does not depend on the key order of data', () => {
    const reordered = { ...fields, data: { rows: 1, decision: 'allow', tool: 'run_sql' } }
    expect(hashRecord(GENESIS_HASH, reordered)).toBe(hashRecord(GENESIS_HASH, fields))
  })

  it('equals the hash the writer computes from data already in canonical JSON', () => {
    for (const org_id of ['org_1', null]) {
      const record = { ...fields, org_id, data: { nested: { b: [1, 'two'], a: 'ü "q"' } } }
      expect(hashStoredRecord('a'.repeat(64), { ...record, data: canonicalJson(record.data) })).toBe(
        hashRecord('a'.repeat(64), record),
      )
    }
  })
})
