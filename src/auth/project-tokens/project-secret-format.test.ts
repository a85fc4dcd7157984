import { describe, expect, it } from 'vitest'
import { secretMatches } from '../api-keys/api-key-format.js'
import { generateProjectSecret, parseProjectSecret, projectSecretIdOf } from './project-secret-format.js'

describe('project secret format', () => {
  it('is ps_<12-char id>_<32-char secret> in base62, and only the hash of the secret part is kept', () => {
    const generated = generateProjectSecret()
    expect(generated.secret).toMatch(/^ps_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/)
    expect(generated.secret.startsWith(`${generated.id}_`)).toBe(true)
    const parsed = parseProjectSecret(generated.secret)
    expect(parsed?.id).toBe(generated.id)
    expect(secretMatches(parsed?.secret as string, generated.secretHash)).toBe(true)
    expect(generated.secretHash).not.toContain(parsed?.secret)
  })

  it.each([
    ['an API key', `gk_${'a'.repeat(12)}_${'b'.repeat(32)}`],
    ['a short secret', `ps_${'a'.repeat(12)}_${'b'.repeat(31)}`],
    ['a secret with a symbol', `ps_${'a'.repeat(12)}_${'b'.repeat(31)}-`],
    ['surrounding space', ` ps_${'a'.repeat(12)}_${'b'.repeat(32)}`],
  ])('does not parse %s', (_, value) => {
    expect(parseProjectSecret(value)).toBeUndefined()
  })

  it('names the visible id of something shaped like a secret, never the secret part', () => {
    expect(projectSecretIdOf(`ps_${'a'.repeat(12)}_${'b'.repeat(32)}`)).toBe(`ps_${'a'.repeat(12)}`)
    expect(projectSecretIdOf('ps_short')).toBeUndefined()
    expect(projectSecretIdOf(42)).toBeUndefined()
  })
})
