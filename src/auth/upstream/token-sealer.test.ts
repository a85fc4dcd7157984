import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SealedTokenError, TokenSealer } from './token-sealer.js'

const SECRET = randomBytes(32)
const CONTEXT = 'user_external_tokens\0usr_1\0github'
const TOKEN = JSON.stringify({ accessToken: 'gho_upstream-access-token', refreshToken: 'ghr_refresh' })

/** The first character carries six real bits; the last of a base64url text may carry padding bits only. */
function flipFirstChar(part: string): string {
  return (part.startsWith('A') ? 'B' : 'A') + part.slice(1)
}

describe('TokenSealer', () => {
  it('opens what it sealed', () => {
    const sealer = new TokenSealer(SECRET)
    expect(sealer.unseal(sealer.seal(TOKEN, CONTEXT), CONTEXT)).toBe(TOKEN)
  })

  it('writes v1.<iv>.<ciphertext>.<tag> in base64url, with a 96-bit IV and a 128-bit tag', () => {
    const sealed = new TokenSealer(SECRET).seal(TOKEN, CONTEXT)
    const [version, iv, ciphertext, tag, ...rest] = sealed.split('.')
    expect(version).toBe('v1')
    expect(rest).toEqual([])
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12)
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16)
    expect(Buffer.from(ciphertext ?? '', 'base64url')).toHaveLength(Buffer.byteLength(TOKEN))
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('never holds the token in clear, and seals the same token differently each time', () => {
    const sealer = new TokenSealer(SECRET)
    const a = sealer.seal(TOKEN, CONTEXT)
    const b = sealer.seal(TOKEN, CONTEXT)
    expect(a).not.toBe(b)
    expect(a).not.toContain('gho_')
    expect(Buffer.from(a.split('.')[2] ?? '', 'base64url').toString()).not.toContain('gho_')
  })

  it.each([
    ['an altered ciphertext', (s: string[]) => [s[0], s[1], flipFirstChar(s[2] ?? ''), s[3]]],
    ['an altered tag', (s: string[]) => [s[0], s[1], s[2], flipFirstChar(s[3] ?? '')]],
    ['an altered IV', (s: string[]) => [s[0], flipFirstChar(s[1] ?? ''), s[2], s[3]]],
    ['a truncated tag', (s: string[]) => [s[0], s[1], s[2], (s[3] ?? '').slice(0, 10)]],
    ['a missing part', (s: string[]) => s.slice(0, 3)],
    ['an extra part', (s: string[]) => [...s, 'AAAA']],
    ['an unknown version', (s: string[]) => ['v2', ...s.slice(1)]],
    ['characters outside base64url', (s: string[]) => [s[0], s[1], `${s[2]}+/`, s[3]]],
  ])('refuses %s', (_name, tamper) => {
    const sealer = new TokenSealer(SECRET)
    const tampered = tamper(sealer.seal(TOKEN, CONTEXT).split('.')).join('.')
    expect(() => sealer.unseal(tampered, CONTEXT)).toThrow(SealedTokenError)
  })

  it('refuses a value sealed with another key, with a message that gives nothing away', () => {
    const sealed = new TokenSealer(randomBytes(32)).seal(TOKEN, CONTEXT)
    const error = (() => {
      try {
        new TokenSealer(SECRET).unseal(sealed, CONTEXT)
      } catch (e) {
        return e as SealedTokenError
      }
    })()
    expect(error).toBeInstanceOf(SealedTokenError)
    expect(error?.code).toBe('INTERNAL')
    expect(error?.message).toBe('A stored upstream token could not be unsealed')
    expect(error?.detail).toMatch(/altered or sealed with an unknown key/)
  })

  it('refuses a value moved to another user or provider (the context is authenticated)', () => {
    const sealer = new TokenSealer(SECRET)
    const sealed = sealer.seal(TOKEN, CONTEXT)
    expect(() => sealer.unseal(sealed, 'user_external_tokens\0usr_2\0github')).toThrow(SealedTokenError)
    expect(() => sealer.unseal(sealed, 'user_external_tokens\0usr_1\0google')).toThrow(SealedTokenError)
  })

  it('opens values sealed with a previous secret after a rotation, and seals new ones with the current one', () => {
    const old = randomBytes(32)
    const before = new TokenSealer(old).seal(TOKEN, CONTEXT)
    const rotated = new TokenSealer(SECRET, { previous: [old] })
    expect(rotated.unseal(before, CONTEXT)).toBe(TOKEN)
    const after = rotated.seal(TOKEN, CONTEXT)
    expect(new TokenSealer(SECRET).unseal(after, CONTEXT)).toBe(TOKEN)
    expect(() => new TokenSealer(old).unseal(after, CONTEXT)).toThrow(SealedTokenError)
  })

  it.each([16, 31, 33, 64])('refuses a %i-byte secret when built', (length) => {
    expect(() => new TokenSealer(randomBytes(length))).toThrow(/must be 32 bytes/)
  })

  it('derives its key from the secret instead of using the secret as the key', async () => {
    const { createDecipheriv } = await import('node:crypto')
    const [, iv, ciphertext, tag] = new TokenSealer(SECRET).seal(TOKEN, CONTEXT).split('.')
    const raw = createDecipheriv('aes-256-gcm', SECRET, Buffer.from(iv ?? '', 'base64url'))
    raw.setAAD(Buffer.from(`v1\0${CONTEXT}`))
    raw.setAuthTag(Buffer.from(tag ?? '', 'base64url'))
    raw.update(Buffer.from(ciphertext ?? '', 'base64url'))
    expect(() => raw.final()).toThrow()
  })
})
