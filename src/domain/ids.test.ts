import { describe, expect, it } from 'vitest'
import { ID_PREFIXES, hasPrefix, newId, randomBase62 } from './ids.js'

describe('randomBase62', () => {
  it.each([1, 12, 32, 100])('returns exactly %i base62 characters', (length) => {
    expect(randomBase62(length)).toMatch(new RegExp(`^[0-9A-Za-z]{${length}}$`))
  })

  it('uses the whole alphabet, not only the characters a modulo bias favours', () => {
    const seen = new Set(randomBase62(20_000))
    expect(seen.size).toBe(62)
  })
})

describe('newId', () => {
  it.each(ID_PREFIXES)('prefixes a %s id and adds 16 base62 characters', (prefix) => {
    expect(newId(prefix)).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{16}$`))
  })

  it('does not repeat itself', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => newId('org')))
    expect(ids.size).toBe(1_000)
  })
})

describe('hasPrefix', () => {
  it('accepts an id it made', () => {
    expect(hasPrefix(newId('prj'), 'prj')).toBe(true)
  })

  it.each([
    ['another kind of id', 'org_abc', 'prj'],
    ['a prefix without the underscore', 'prjabc', 'prj'],
    ['nothing after the prefix', 'prj_', 'prj'],
    ['characters outside base62', 'prj_ab-c', 'prj'],
    ['a name that only starts like an id', 'prj_a b', 'prj'],
  ] as const)('refuses %s', (_case, value, prefix) => {
    expect(hasPrefix(value, prefix)).toBe(false)
  })
})
