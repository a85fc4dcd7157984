import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ClientMetadataCache, cacheTtlSeconds } from './client-metadata-cache.js'

const SECOND = 1000
const T0 = 1_767_225_600_000

let server: Server
let origin: string
let hits: number
let status: number
let cacheControl: string | undefined

beforeAll(async () => {
  server = createServer((req, res) => {
    hits += 1
    if (status !== 200) {
      res.writeHead(status).end()
      return
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(cacheControl !== undefined && { 'cache-control': cacheControl }),
    })
    res.end(JSON.stringify({ client_id: `${origin}${req.url}`, redirect_uris: ['https://client.example/cb'] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

let now: number

beforeEach(() => {
  hits = 0
  status = 200
  cacheControl = undefined
  now = T0
})

const cache = (maxEntries?: number) =>
  new ClientMetadataCache({
    fetch: { allowHttpForTests: true, allowedPrivateNetworks: ['127.0.0.1/32'] },
    now: () => now,
    ...(maxEntries !== undefined && { maxEntries }),
  })
const id = (name = 'client') => `${origin}/${name}.json`

describe('ClientMetadataCache', () => {
  it('serves a second request from the cache', async () => {
    const c = cache()
    const first = await c.get(id())
    await expect(c.get(id())).resolves.toBe(first)
    expect(hits).toBe(1)
  })

  it('shares one fetch between concurrent requests', async () => {
    const c = cache()
    await Promise.all([c.get(id()), c.get(id()), c.get(id())])
    expect(hits).toBe(1)
  })

  it.each<[string | undefined, number]>([
    [undefined, 300],
    ['max-age=600', 600],
    ['max-age=5', 60],
    ['no-store', 60],
    ['max-age=9999999', 86_400],
  ])('with Cache-Control %s, keeps the document for %i s', async (header, ttl) => {
    cacheControl = header
    const c = cache()
    await c.get(id())
    now = T0 + ttl * SECOND - 1
    await c.get(id())
    expect(hits).toBe(1)
    now = T0 + ttl * SECOND
    await c.get(id())
    expect(hits).toBe(2)
  })

  it('remembers a refusal for 60 s, then fetches again', async () => {
    status = 404
    cacheControl = 'max-age=3600'
    const c = cache()
    await expect(c.get(id())).rejects.toMatchObject({ code: 'INPUT_INVALID' })
    status = 200
    now = T0 + 59 * SECOND
    await expect(c.get(id())).rejects.toMatchObject({ code: 'INPUT_INVALID' })
    expect(hits).toBe(1)
    now = T0 + 60 * SECOND
    await expect(c.get(id())).resolves.toMatchObject({ client_id: id() })
    expect(hits).toBe(2)
  })

  it('holds at most maxEntries documents, dropping the least recently used', async () => {
    const c = cache(2)
    await c.get(id('a'))
    await c.get(id('b'))
    await c.get(id('a'))
    await c.get(id('c'))
    expect(c.size).toBe(2)
    expect(hits).toBe(3)
    await c.get(id('a'))
    expect(hits).toBe(3)
    await c.get(id('b'))
    expect(hits).toBe(4)
  })

  it.each([0, -1, 1.5])('refuses maxEntries %s', (maxEntries) => {
    expect(() => new ClientMetadataCache({ maxEntries })).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', field: 'maxEntries' }),
    )
  })
})

describe('cacheTtlSeconds', () => {
  it.each<[string | undefined, number]>([
    [undefined, 300],
    ['', 300],
    ['public, max-age=120', 120],
    ['MAX-AGE=120', 120],
    ['max-age=abc', 300],
    ['max-age=-5', 300],
    ['max-age=0', 60],
    ['max-age=120, no-cache', 60],
    ['s-maxage=999, max-age=900', 900],
    ['max-age=100000', 86_400],
  ])('%s gives %i s', (header, ttl) => {
    expect(cacheTtlSeconds(header)).toBe(ttl)
  })
})
