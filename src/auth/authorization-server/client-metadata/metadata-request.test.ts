import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import { buildMetadataRequestOptions } from './metadata-request.js'

const signal = new AbortController().signal

describe('buildMetadataRequestOptions', () => {
  const options = buildMetadataRequestOptions(
    new URL('https://client.example:8443/oauth/client.json?v=2'),
    { address: '93.184.216.34', family: 4 },
    signal,
  )

  it('keeps the URL host for SNI and the Host header, and verifies the certificate', () => {
    expect(options).toMatchObject({
      method: 'GET',
      protocol: 'https:',
      hostname: 'client.example',
      servername: 'client.example',
      port: 8443,
      path: '/oauth/client.json?v=2',
      headers: { host: 'client.example:8443', accept: 'application/json' },
      rejectUnauthorized: true,
      agent: false,
      signal,
    })
  })

  it('answers every lookup with the checked address, never asking DNS again', () => {
    expect(options.lookup).toBeTypeOf('function')
    const single = new Promise<[string | LookupAddress[], number | undefined]>((resolve) =>
      options.lookup?.('client.example', {}, (_err, address, family) => resolve([address, family])),
    )
    const all = new Promise<string | LookupAddress[]>((resolve) =>
      options.lookup?.('client.example', { all: true }, (_err, addresses) => resolve(addresses)),
    )
    return Promise.all([
      expect(single).resolves.toEqual(['93.184.216.34', 4]),
      expect(all).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]),
    ])
  })

  it('sends no SNI for an IP-literal host and defaults the port by scheme', () => {
    const literal = buildMetadataRequestOptions(
      new URL('https://[2606:4700::1]/c'),
      { address: '2606:4700::1', family: 6 },
      signal,
    )
    expect(literal).toMatchObject({ hostname: '2606:4700::1', port: 443, headers: { host: '[2606:4700::1]' } })
    expect(literal.servername).toBeUndefined()
    expect(
      buildMetadataRequestOptions(new URL('http://127.0.0.1/c'), { address: '127.0.0.1', family: 4 }, signal).port,
    ).toBe(80)
  })
})
