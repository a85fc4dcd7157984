import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { TestServer } from '../support/test-server.js'
import { defineTool } from '../../src/mcp/tool-definition.js'
import { CORE_TOOLS } from '../../src/mcp/tools/core-tools.js'

const slow = { started: 0, aborted: 0 }
const slowTool = defineTool({
  name: 'slow',
  title: 'Slow',
  description: 'Waits until aborted or 5 s',
  input: z.object({}),
  permission: null,
  run(_args, { signal }) {
    slow.started++
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ structuredContent: {}, text: 'done' }), 5000)
      signal.addEventListener('abort', () => {
        slow.aborted++
        clearTimeout(timer)
        resolve({ structuredContent: {}, text: 'aborted' })
      })
    })
  },
})

describe('the /mcp protocol surface (Streamable HTTP, stateless)', () => {
  let t: TestServer
  let auth: Record<string, string>

  beforeAll(async () => {
    t = await startTestServer({}, { tools: [...CORE_TOOLS, slowTool] })
    const fixture = await seedOrg(t.server.store)
    auth = { authorization: `Bearer ${(await createKey(t.server.store, fixture)).key}` }
  })
  afterAll(async () => t.close())

  it('answers malformed JSON with a JSON-RPC parse error', async () => {
    const res = await mcpPost(t.url, '{"jsonrpc": "2.0", "id": 1,', auth)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error: the request body is not valid JSON' },
    })
  })

  it.each([
    ['a string', '"hello"', null],
    ['a message without jsonrpc', { id: 3, method: 'tools/list' }, 3],
    ['a request with an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'tools/list' }, null],
    ['a message with neither method nor result', { jsonrpc: '2.0', id: 4 }, 4],
  ])('answers %s with Invalid Request', async (_, body, id) => {
    const res = await mcpPost(t.url, body, auth)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request' } })
  })

  it('refuses an empty batch', async () => {
    const res = await mcpPost(t.url, [], auth)
    expect(res.status).toBe(400)
  })

  it('accepts notifications with 202 and no body', async () => {
    const res = await mcpPost(t.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, auth)
    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
  })

  it('accepts a client response (nothing to match in stateless serving) with 202', async () => {
    const res = await mcpPost(t.url, { jsonrpc: '2.0', id: 'srv-1', result: {} }, auth)
    expect(res.status).toBe(202)
  })

  it('answers a batch with one reply per request, in request order, and none for notifications', async () => {
    const res = await mcpPost(
      t.url,
      [
        callTool('get_access_context', {}, 'b'),
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 'a', method: 'tools/list' },
        callTool('list_projects', {}, 7),
      ],
      auth,
    )
    expect(res.status).toBe(200)
    const replies = (await res.json()) as { id: unknown; result?: unknown }[]
    expect(replies.map((r) => r.id)).toEqual(['b', 'a', 7])
    expect(replies.every((r) => r.result !== undefined)).toBe(true)
  })

  it.each(['GET', 'DELETE'])('answers %s with 405 and Allow: POST (no sessions, no server stream)', async (method) => {
    const res = await fetch(`${t.url}/mcp`, { method, headers: auth })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })

  it('refuses a protocol version it does not speak', async () => {
    const res = await mcpPost(t.url, callTool('list_projects'), { ...auth, 'mcp-protocol-version': '1999-01-01' })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: number; message: string } }
    expect(body.error.code).toBe(-32600)
    expect(body.error.message).toContain('Unsupported protocol version: 1999-01-01')
  })

  it.each(['2025-06-18', '2025-11-25'])('negotiates protocol revision %s at initialize', async (version) => {
    const res = await mcpPost(
      t.url,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      },
      { ...auth, 'mcp-protocol-version': version },
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as { result: { protocolVersion: string; capabilities: { tools?: unknown } } }
    expect(body.result.protocolVersion).toBe(version)
    expect(body.result.capabilities.tools).toBeDefined()
  })

  it('refuses a body that is not application/json with 415', async () => {
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: JSON.stringify(callTool('list_projects')),
    })
    expect(res.status).toBe(415)
  })

  it('aborts a running tool when the client goes away', async () => {
    const controller = new AbortController()
    const pending = mcpPost(t.url, callTool('slow'), auth, { signal: controller.signal }).catch((e: unknown) => e)
    await waitFor(() => slow.started === 1)
    controller.abort()
    await pending
    await waitFor(() => slow.aborted === 1)
    expect(slow.aborted).toBe(1)
  })

  it('lists the tools with their JSON schemas', async () => {
    const res = await mcpPost(t.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, auth)
    const body = (await res.json()) as { result: { tools: { name: string; inputSchema: { type: string } }[] } }
    expect(body.result.tools.map((tool) => tool.name)).toEqual(['get_access_context', 'list_projects', 'slow'])
    expect(body.result.tools[0]?.inputSchema.type).toBe('object')
  })
})

describe('discovery, health and metrics', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ server: { public_url: 'https://mcp.example.com' } })
  })
  afterAll(async () => t.close())

  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])(
    'serves RFC 9728 metadata at %s',
    async (path) => {
      const res = await fetch(`${t.url}${path}`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({
        resource: 'https://mcp.example.com/mcp',
        authorization_servers: ['https://mcp.example.com'],
        scopes_supported: ['mcp:read', 'mcp:sql', 'mcp:write'],
        bearer_methods_supported: ['header'],
        resource_name: 'Gatehouse',
      })
    },
  )

  it('reports liveness and readiness', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' })
    expect(await (await fetch(`${t.url}/readyz`)).json()).toEqual({
      status: 'ready',
      checks: { store: 'ok', engines: [] },
    })
  })

  it('exports requests by tool and status, auth failures by reason, and latency', async () => {
    const fixture = await seedOrg(t.server.store)
    const key = (await createKey(t.server.store, fixture)).key
    await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${key}` })
    await mcpPost(t.url, callTool('list_projects'), {})
    const text = await (await fetch(`${t.url}/metrics`)).text()
    expect(text).toContain('gatehouse_tool_calls_total{tool="list_projects",outcome="allow"} 1')
    expect(text).toContain('gatehouse_auth_failures_total{reason="AUTH_MISSING"} 1')
    expect(text).toContain('gatehouse_http_requests_total{route="mcp",status="401"} 1')
    expect(text).toMatch(/gatehouse_http_request_duration_seconds_bucket\{le="0.005",route="mcp"\} \d+/)
  })
})

describe('readiness when the store is gone', () => {
  it('answers 503 when the store cannot be reached', async () => {
    const t = await startTestServer()
    try {
      await t.server.store.close()
      const res = await fetch(`${t.url}/readyz`)
      expect(res.status).toBe(503)
      expect(await res.json()).toEqual({ status: 'unavailable', checks: { store: 'unreachable', engines: [] } })
    } finally {
      await t.close().catch(() => {})
    }
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('graceful shutdown', () => {
  it('lets a request in flight finish, then closes and flushes its audit record', async () => {
    let release: () => void = () => {}
    let started = false
    const gate = defineTool({
      name: 'gate',
      title: 'Gate',
      description: 'Waits until released',
      input: z.object({}),
      permission: null,
      async run() {
        started = true
        await new Promise<void>((resolve) => (release = resolve))
        return { structuredContent: { done: true }, text: 'done' }
      },
    })
    const t = await startTestServer({ audit: { flush_interval_ms: 600_000 } }, { tools: [gate] })
    const fixture = await seedOrg(t.server.store)
    const { key } = await createKey(t.server.store, fixture)
    const inFlight = mcpPost(t.url, callTool('gate'), { authorization: `Bearer ${key}` })
    await waitFor(() => started)
    const closing = t.server.close()
    release()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ result: { structuredContent: { done: true } } })
    await closing
    // The store is closed now: reopen the file to see what the shutdown flushed.
    const { Store } = await import('../../src/store/store.js')
    const store = Store.open(`sqlite:${t.dir}/state.db`)
    try {
      expect((await store.audit.query({ type: 'mcp.call' })).map((r) => JSON.parse(r.data).tool)).toEqual(['gate'])
    } finally {
      await store.close()
      await t.close().catch(() => {})
    }
  })

  it('fails to start with the listen error when the port is taken', async () => {
    await using first = await startTestServer()
    const port = Number(new URL(first.url).port)
    await expect(startTestServer({ server: { port } })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})
