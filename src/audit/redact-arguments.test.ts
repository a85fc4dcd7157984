import { describe, expect, it } from 'vitest'
import { isSecretKey, MAX_AUDIT_STRING, REDACTED, redactArguments, redactString } from './redact-arguments.js'

describe('redactArguments', () => {
  it.each([
    'password',
    'Password',
    'PASSWORD',
    'db_password',
    'secret',
    'client_secret',
    'clientSecret',
    'token',
    'access_token',
    'refreshToken',
    'authorization',
    'Authorization',
    'api_key',
    'apiKey',
    'APIKey',
    'X-Api-Key',
    'key',
    'private_key',
    'credentials',
    'passphrase',
    'cookie',
    'session_id',
  ])('hides the value of %s', (key) => {
    expect(isSecretKey(key)).toBe(true)
    expect(redactArguments({ [key]: 'hunter2', keep: 'visible' })).toEqual({ [key]: REDACTED, keep: 'visible' })
  })

  it.each(['sql', 'connection', 'domain', 'monkey', 'keyboard', 'limit', 'tool', 'query'])('keeps %s', (key) => {
    expect(isSecretKey(key)).toBe(false)
    expect(redactArguments({ [key]: 'x' })).toEqual({ [key]: 'x' })
  })

  it('hides a secret key whatever its value, objects and numbers included', () => {
    expect(redactArguments({ credentials: { user: 'u', pass: 'p' }, pin: 1234 })).toEqual({
      credentials: REDACTED,
      pin: REDACTED,
    })
  })

  it('redacts inside nested objects and arrays', () => {
    const args = { params: { filters: [{ column: 'a', token: 't' }], auth: { password: 'p' } } }
    expect(redactArguments(args)).toEqual({
      params: { filters: [{ column: 'a', token: REDACTED }], auth: { password: REDACTED } },
    })
  })

  it('cuts strings longer than 1,000 characters and says how much went', () => {
    const out = redactArguments({ sql: 'x'.repeat(1_500), short: 'y'.repeat(MAX_AUDIT_STRING) })
    expect(out.sql).toBe(`${'x'.repeat(1_000)}…[truncated 500 chars]`)
    expect(out.short).toBe('y'.repeat(1_000))
  })

  it('cuts long strings inside arrays and nested objects too', () => {
    const out = redactArguments({ values: ['z'.repeat(2_000)], nested: { text: 'w'.repeat(1_001) } })
    expect((out.values as string[])[0]).toHaveLength(1_000 + '…[truncated 1000 chars]'.length)
    expect((out.nested as { text: string }).text.endsWith('…[truncated 1 chars]')).toBe(true)
  })

  it('never cuts a surrogate pair in half', () => {
    const out = redactString(`${'a'.repeat(999)}😀${'b'.repeat(10)}`)
    expect(out.startsWith(`${'a'.repeat(999)}…`)).toBe(true)
  })

  it('keeps at most 100 items of an array', () => {
    const out = redactArguments({ ids: Array.from({ length: 150 }, (_, i) => i) })
    expect(out.ids).toHaveLength(101)
    expect((out.ids as unknown[])[100]).toBe('[50 more items]')
  })

  it.each([
    [
      'an API key, keeping its visible prefix',
      'gk_AbCdEfGhIjKl_0123456789abcdefghijABCDEFGHIJKL',
      `gk_AbCdEfGhIjKl_${REDACTED}`,
    ],
    ['a JWT', 'select 1 -- eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl', `select 1 -- ${REDACTED}`],
    ['a bearer token', 'Authorization: Bearer abc.def-ghi', `Authorization: Bearer ${REDACTED}`],
    ['a URL password', 'postgres://app:s3cret@db:5432/x', `postgres://app:${REDACTED}@db:5432/x`],
  ])('hides %s written into free text', (_what, input, expected) => {
    expect(redactArguments({ sql: input })).toEqual({ sql: expected })
  })

  it('leaves its input untouched', () => {
    const args = { password: 'p', nested: { token: 't' } }
    redactArguments(args)
    expect(args).toEqual({ password: 'p', nested: { token: 't' } })
  })

  it('turns missing arguments into an empty object', () => {
    expect(redactArguments(undefined)).toEqual({})
  })
})
