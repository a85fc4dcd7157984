import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fetchClientMetadata, fetchClientMetadataWithHeaders } from './fetch-client-metadata.js'
import type { ClientMetadataFetchOptions, ResolveHost } from './fetch-client-metadata.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

let server: Server
let origin: string
let port: number
let handler: Handler
let requests: IncomingMessage[]

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req)
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  requests = []
  handler = serveDocument()
})

const local: ClientMetadataFetchOptions = { allowHttpForTests: true, allowedPrivateNetworks: ['127.0.0.1/32'] }
const clientId = () => `${origin}/client.json`
const documentFor = (id: string, extra: Record<string, unknown> = {}) => ({
  client_id: id,
  client_name: 'Example',
  redirect_uris: ['http://127.0.0.1:3000/callback'],
  ...extra,
})

/** Serves the document whose client_id is the URL the request was sent to. */
function serveDocument(extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(documentFor(`http://${req.headers.host}${req.url}`, extra)))
  }
}

function respond(status: number, headers: Record<string, string>, body = ''): Handler {
  return (_req, res) => {
    res.writeHead(status, headers)
    res.end(body)
  }
}

const resolvingTo =
  (...addresses: string[]): ResolveHost =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

const refusal = (message: string) =>
  expect.objectContaining({ code: 'INPUT_INVALID', field: 'client_id', message: expect.stringContaining(message) })

describe('fetchClientMetadata', () => {
  it('fetches and validates a document whose client_id is its URL', async () => {
    const doc = await fetchClientMetadata(clientId(), local)
    expect(doc).toMatchObject({ client_id: clientId(), client_name: 'Example' })
    expect(requests[0]?.headers).toMatchObject({ host: `127.0.0.1:${port}`, accept: 'application/json' })
  })

  it('connects to the checked address while keeping the host name in the Host header, resolving once', async () => {
    let lookups = 0
    const resolve: ResolveHost = async () => {
      lookups += 1
      // A rebinding resolver would answer differently the second time; it is never asked a second time.
      return lookups === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }]
    }
    const id = `http://client.test:${port}/client.json`
    await expect(fetchClientMetadata(id, { ...local, resolve })).resolves.toMatchObject({ client_id: id })
    expect(lookups).toBe(1)
    expect(requests[0]?.headers.host).toBe(`client.test:${port}`)
  })

  it('returns the Cache-Control header for the cache', async () => {
    handler = serveDocument({}, { 'cache-control': 'public, max-age=600' })
    await expect(fetchClientMetadataWithHeaders(clientId(), local)).resolves.toMatchObject({
      cacheControl: 'public, max-age=600',
    })
  })

  it.each<[string, () => string, ClientMetadataFetchOptions, string]>([
    ['an http URL without the test flag', () => clientId(), {}, 'must be an https URL'],
    ['127.0.0.1 outside the allowlist', () => clientId(), { allowHttpForTests: true }, 'non-public address'],
    [
      'a host name resolving to a private address',
      () => `http://client.test:${port}/c`,
      { allowHttpForTests: true, resolve: resolvingTo('10.0.0.7') },
      'non-public address',
    ],
    [
      'a host name with one public and one private address',
      () => `http://client.test:${port}/c`,
      { allowHttpForTests: true, resolve: resolvingTo('93.184.216.34', '169.254.169.254') },
      'non-public address',
    ],
    [
      'a host name resolving to IPv4-mapped loopback',
      () => `http://client.test:${port}/c`,
      { allowHttpForTests: true, resolve: resolvingTo('::ffff:127.0.0.1') },
      'non-public address',
    ],
    [
      'a host name resolving to nothing',
      () => `http://client.test:${port}/c`,
      { allowHttpForTests: true, resolve: resolvingTo() },
      'host could not be resolved',
    ],
    [
      'a host name that does not resolve',
      () => `http://client.test:${port}/c`,
      {
        allowHttpForTests: true,
        resolve: async () => {
          throw new Error('ENOTFOUND')
        },
      },
      'host could not be resolved',
    ],
  ])('refuses %s before connecting', async (_name, id, options, message) => {
    await expect(fetchClientMetadata(id(), options)).rejects.toThrow(refusal(message))
    expect(requests).toHaveLength(0)
  })

  it.each<[string, Handler, string]>([
    ['a redirect', respond(302, { location: 'http://169.254.169.254/latest' }), 'redirected (status 302)'],
    ['a permanent redirect', respond(308, { location: '/other' }), 'redirected (status 308)'],
    ['a 404', respond(404, { 'content-type': 'application/json' }, '{}'), 'status 404, expected 200'],
    ['a 204', respond(204, { 'content-type': 'application/json' }), 'status 204, expected 200'],
    ['a text/html body', respond(200, { 'content-type': 'text/html' }, '{}'), 'content-type must be application/json'],
    ['no content-type', respond(200, {}, '{}'), 'content-type must be application/json'],
    ['a lookalike content-type', respond(200, { 'content-type': 'application/jsonx' }, '{}'), 'content-type'],
    [
      'a body that is not JSON',
      respond(200, { 'content-type': 'application/json' }, 'secret-internal'),
      'not valid JSON',
    ],
    [
      'a declared length over the limit',
      respond(200, { 'content-type': 'application/json', 'content-length': '9000' }),
      'larger than 5120 bytes',
    ],
    [
      'a document for another client',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(documentFor('https://attacker.example/client.json')))
      },
      'client_id does not match the URL',
    ],
    ['invalid metadata', serveDocument({ redirect_uris: 'not-an-array' }), 'redirect_uris'],
    [
      'client_secret_basic',
      serveDocument({ token_endpoint_auth_method: 'client_secret_basic' }),
      'token_endpoint_auth_method',
    ],
  ])('refuses %s', async (_name, serve, message) => {
    handler = serve
    await expect(fetchClientMetadata(clientId(), local)).rejects.toThrow(refusal(message))
  })

  it('accepts a content-type with parameters', async () => {
    handler = serveDocument({}, { 'content-type': 'Application/JSON; charset=utf-8' })
    await expect(fetchClientMetadata(clientId(), local)).resolves.toMatchObject({ client_id: clientId() })
  })

  it('never puts the response body in the error', async () => {
    handler = respond(200, { 'content-type': 'application/json' }, '{"client_id":"<b>AKIA-internal</b>"}')
    const error = await fetchClientMetadata(clientId(), local).catch((e: unknown) => e)
    expect(String((error as Error).message)).not.toContain('AKIA')
    expect(String((error as { detail?: string }).detail)).not.toContain('AKIA')
  })

  it('stops reading a body that streams past the limit', async () => {
    let written = 0
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(1024, 0x20)
      const timer = setInterval(() => {
        // Without the limit this would never end; it stops when the client goes away.
        if (res.destroyed || written > 1024 * 1024) return clearInterval(timer)
        res.write(chunk)
        written += chunk.length
      }, 5)
      res.on('close', () => clearInterval(timer))
    }
    await expect(fetchClientMetadata(clientId(), { ...local, maxBytes: 2048 })).rejects.toThrow(
      refusal('larger than 2048 bytes'),
    )
    expect(written).toBeLessThan(1024 * 1024)
  })

  it.each<[string, Handler]>([
    ['sends no headers', () => undefined],
    [
      'never finishes the body',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"client_id":')
      },
    ],
  ])('gives up on a server that %s when the time budget runs out', async (_name, serve) => {
    handler = serve
    await expect(fetchClientMetadata(clientId(), { ...local, timeoutMs: 200 })).rejects.toThrow(
      refusal('could not be fetched within 200 ms'),
    )
  })

  it('gives up when the caller cancels', async () => {
    handler = () => undefined
    const controller = new AbortController()
    const pending = fetchClientMetadata(clientId(), { ...local, signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    await expect(pending).rejects.toThrow(refusal('fetch was cancelled'))
  })

  it('reports a refused connection without the socket error in the message', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await fetchClientMetadata(`http://127.0.0.1:${closedPort}/c`, local).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INPUT_INVALID', message: 'client metadata document could not be fetched' })
    expect((error as { detail?: string }).detail).toContain('ECONNREFUSED')
  })
})
