import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateApiKey, hashSecret, looksLikeApiKey, parseApiKey, secretMatches } from './api-key-format.js'

const KEY_SHAPE = /^gk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/
const ID = 'AbC123xyz789'
const SECRET = '0123456789abcdefghijABCDEFGHIJkl'

describe('generateApiKey', () => {
  it('makes gk_<12 base62>_<32 base62> (SPEC §4.2)', () => {
    const { key } = generateApiKey()
    expect(key).toMatch(KEY_SHAPE)
  })

  it('names the id and the visible prefix gk_<id> inside the key', () => {
    const generated = generateApiKey()
    expect(generated.prefix).toBe(`gk_${generated.id}`)
    expect(generated.key.startsWith(`${generated.prefix}_`)).toBe(true)
    expect(generated.id).toMatch(/^[0-9A-Za-z]{12}$/)
  })

  it('never makes the same key, id or secret twice', () => {
    const keys = Array.from({ length: 2_000 }, () => generateApiKey())
    expect(new Set(keys.map((k) => k.key)).size).toBe(keys.length)
    expect(new Set(keys.map((k) => k.id)).size).toBe(keys.length)
    expect(new Set(keys.map((k) => k.key.slice(16))).size).toBe(keys.length)
  })

  it('stores the SHA-256 hex of the secret part only', () => {
    const generated = generateApiKey()
    const secret = generated.key.slice('gk_'.length + 12 + 1)
    expect(secret).toHaveLength(32)
    expect(generated.secretHash).toBe(createHash('sha256').update(secret).digest('hex'))
    expect(generated.secretHash).not.toBe(createHash('sha256').update(generated.key).digest('hex'))
  })

  it('never puts the secret in what it stores', () => {
    const generated = generateApiKey()
    const secret = generated.key.slice(16)
    const stored = JSON.stringify({ id: generated.id, prefix: generated.prefix, hash: generated.secretHash })
    expect(stored).not.toContain(secret)
    expect(generated.secretHash).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('parseApiKey', () => {
  it('splits a key into its id and secret', () => {
    expect(parseApiKey(`gk_${ID}_${SECRET}`)).toEqual({ id: ID, secret: SECRET })
  })

  it('parses every key it generates back to the same id', () => {
    const generated = generateApiKey()
    expect(parseApiKey(generated.key)?.id).toBe(generated.id)
  })

  it.each([
    ['empty text', ''],
    ['the prefix alone', 'gk_'],
    ['the visible prefix without a secret', `gk_${ID}`],
    ['another product prefix', `gh_${ID}_${SECRET}`],
    ['an upper-case prefix', `GK_${ID}_${SECRET}`],
    ['an id of 11 characters', `gk_${ID.slice(1)}_${SECRET}`],
    ['an id of 13 characters', `gk_${ID}x_${SECRET}`],
    ['a secret of 31 characters', `gk_${ID}_${SECRET.slice(1)}`],
    ['a secret of 33 characters', `gk_${ID}_${SECRET}x`],
    ['a dash in the secret', `gk_${ID}_${SECRET.slice(1)}-`],
    ['an underscore in the id', `gk_${ID.slice(1)}_${'_'}${SECRET}`],
    ['a non-ASCII letter', `gk_${ID}_${SECRET.slice(1)}é`],
    ['a leading space', ` gk_${ID}_${SECRET}`],
    ['a trailing newline', `gk_${ID}_${SECRET}\n`],
    ['a second key appended', `gk_${ID}_${SECRET}gk_${ID}_${SECRET}`],
    ['a bearer header instead of a key', `Bearer gk_${ID}_${SECRET}`],
  ])('refuses %s', (_case, credential) => {
    expect(parseApiKey(credential)).toBeUndefined()
  })
})

describe('looksLikeApiKey', () => {
  it('recognises the gk_ shape and nothing else', () => {
    expect(looksLikeApiKey(`gk_${ID}_${SECRET}`)).toBe(true)
    expect(looksLikeApiKey('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false)
  })
})

describe('secretMatches', () => {
  it('accepts the secret whose hash is stored', () => {
    expect(secretMatches(SECRET, hashSecret(SECRET))).toBe(true)
  })

  it.each([
    ['another secret', `${SECRET.slice(0, -1)}m`, hashSecret(SECRET)],
    ['the whole key instead of its secret', `gk_${ID}_${SECRET}`, hashSecret(SECRET)],
    ['a stored hash that is not hex', SECRET, 'z'.repeat(64)],
    ['a truncated stored hash', SECRET, hashSecret(SECRET).slice(0, 62)],
    ['an empty stored hash', SECRET, ''],
    ['the secret stored in clear instead of its hash', SECRET, SECRET],
  ])('refuses %s', (_case, secret, stored) => {
    expect(secretMatches(secret, stored)).toBe(false)
  })
})
