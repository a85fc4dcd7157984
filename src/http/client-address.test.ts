import { describe, expect, it } from 'vitest'
import { ClientAddressResolver } from './client-address.js'

describe('ClientAddressResolver', () => {
  it('ignores X-Forwarded-For when no proxy is trusted, so a client cannot forge its address', () => {
    const resolver = new ClientAddressResolver(false)
    expect(resolver.resolve('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9')
  })

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const resolver = new ClientAddressResolver(['10.0.0.0/8'])
    expect(resolver.resolve('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9')
  })

  it.each([
    ['one proxy', '10.0.0.5', '198.51.100.7', '198.51.100.7'],
    ['a chain of trusted proxies', '10.0.0.5', '198.51.100.7, 10.0.0.9, 10.1.2.3', '198.51.100.7'],
    ['a forged hop before the real client', '10.0.0.5', '6.6.6.6, 198.51.100.7', '198.51.100.7'],
    ['an IPv4-mapped peer address', '::ffff:10.0.0.5', '198.51.100.7', '198.51.100.7'],
  ])('takes the rightmost untrusted hop behind %s', (_, peer, header, expected) => {
    const resolver = new ClientAddressResolver(['10.0.0.0/8', '::1'])
    expect(resolver.resolve(peer, header)).toBe(expected)
  })

  it('falls back to the peer when the header holds no address', () => {
    const resolver = new ClientAddressResolver(['127.0.0.1'])
    expect(resolver.resolve('127.0.0.1', 'garbage')).toBe('127.0.0.1')
    expect(resolver.resolve('127.0.0.1', undefined)).toBe('127.0.0.1')
  })
})
