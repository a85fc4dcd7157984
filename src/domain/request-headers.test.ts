import { describe, expect, it } from 'vitest'
import { isForbiddenHeader } from './request-headers.js'

describe('isForbiddenHeader', () => {
  it.each([
    'authorization',
    'Authorization',
    'COOKIE',
    'proxy-authorization',
    'Proxy-Authenticate',
    'forwarded',
    'x-forwarded-for',
    'X-Forwarded-Host',
    'x-forwarded-proto',
    'x-real-ip',
  ])('refuses %s whatever the allowlist', (name) => {
    expect(isForbiddenHeader(name)).toBe(true)
  })

  it.each(['x-region', 'x-team', 'accept-language', 'x-forwarded', 'cookies-consent'])('allows %s', (name) => {
    expect(isForbiddenHeader(name)).toBe(false)
  })
})
