import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { McpEndpoint } from './mcp-endpoint.js'
import { ToolRunner } from './tool-runner.js'
import { defineTool } from './tool-definition.js'
import type { ToolDefinition } from './tool-definition.js'
import { CORE_TOOLS } from './tools/core-tools.js'
import { Store } from '../store/store.js'
import { ProjectCatalog } from '../store/project-catalog.js'
import { DataPlane } from '../data/data-plane.js'
import type { ToolDeps } from './tool-definition.js'
import { InputError } from '../domain/errors.js'
import { testPrincipal } from '../../test/support/test-principal.js'

const failing = defineTool({
  name: 'always_fails',
  title: 'Fails',
  description: 'Throws the error it is asked for',
  input: z.object({ kind: z.enum(['input', 'internal']) }),
  permission: null,
  async run(args) {
    if (args.kind === 'input') throw new InputError('limit must be at most 100', 'limit')
    throw new Error('database password is hunter2')
  },
})

const tools: ToolDefinition[] = [...CORE_TOOLS, failing]
const records: unknown[] = []
const audit = { record: (event: unknown) => void records.push(event) }

describe('McpEndpoint', () => {
  let store: Store
  let fast: McpEndpoint
  let sdk: McpEndpoint
  let principal: ReturnType<typeof testPrincipal>

  beforeAll(async () => {
    store = Store.open('sqlite::memory:')
    await store.migrate()
    const org = await store.orgs.create('acme')
    const project = await store.projects.create(org.id, 'analytics')
    principal = testPrincipal({ orgId: org.id, projectIds: [project.id] })
    const runner = new ToolRunner(testToolDeps(store), audit)
    fast = await McpEndpoint.create(tools, runner, { fastPath: true })
    sdk = await McpEndpoint.create(tools, runner, { fastPath: false })
  })
  afterAll(async () => {
    await fast.close()
    await sdk.close()
    await store.close()
  })

  const calls: [string, unknown][] = [
    ['list_projects, json', { name: 'list_projects', arguments: {} }],
    ['list_projects, markdown', { name: 'list_projects', arguments: { response_format: 'markdown' } }],
    ['get_access_context without arguments', { name: 'get_access_context' }],
    ['a tool error that is exposed', { name: 'always_fails', arguments: { kind: 'input' } }],
    ['an internal error, made generic', { name: 'always_fails', arguments: { kind: 'internal' } }],
    ['invalid arguments', { name: 'list_projects', arguments: { response_format: 'xml' } }],
    ['an unknown tool', { name: 'no_such_tool', arguments: {} }],
  ]

  it.each(calls)(
    'answers a tools/call with the same bytes on the fast path and the SDK path: %s',
    async (_, params) => {
      for (const id of [1, 'req-7']) {
        const message = { jsonrpc: '2.0' as const, id, method: 'tools/call', params: params as Record<string, unknown> }
        const a = await fast.request(message, principal, {}, undefined)
        const b = await sdk.request(message, principal, {}, undefined)
        expect(JSON.stringify(a)).toBe(JSON.stringify(b))
        expect(a?.id).toBe(id)
      }
    },
  )

  it('never exposes an internal error message to the client', async () => {
    const reply = await fast.request(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'always_fails', arguments: { kind: 'internal' } },
      },
      principal,
      {},
      undefined,
    )
    expect(JSON.stringify(reply)).not.toContain('hunter2')
    expect(reply?.result).toMatchObject({ isError: true })
  })

  it('keeps concurrent requests with the same client id apart', async () => {
    const other = testPrincipal({ orgId: principal.orgId, projectIds: [] })
    const message = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'list_projects' } }
    const [a, b] = await Promise.all([
      sdk.request(message, principal, {}, undefined),
      sdk.request(message, other, {}, undefined),
    ])
    expect((a?.result as { structuredContent: { projects: unknown[] } }).structuredContent.projects).toHaveLength(1)
    expect((b?.result as { structuredContent: { projects: unknown[] } }).structuredContent.projects).toHaveLength(0)
  })

  it('answers initialize with the revision the client asked for when it is supported', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const reply = await sdk.request(
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 't', version: '1' } },
        },
        principal,
        {},
        undefined,
      )
      expect(reply?.result).toMatchObject({ protocolVersion: version, serverInfo: { name: 'gatehouse' } })
    }
  })
})

describe('InProcessTransport on a long-lived signal', () => {
  it('leaves no abort listener behind on a connection-wide signal once a request is answered', async () => {
    const store = Store.open('sqlite::memory:')
    await store.migrate()
    const endpoint = await McpEndpoint.create(CORE_TOOLS, new ToolRunner(testToolDeps(store), audit), {
      fastPath: false,
    })
    const controller = new AbortController()
    let listeners = 0
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((...args: Parameters<typeof add>) => (listeners++, add(...args))) as typeof add
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (
      listeners--,
      remove(...args)
    )) as typeof remove
    for (let i = 0; i < 20; i++) {
      await endpoint.request({ jsonrpc: '2.0', id: i, method: 'tools/list' }, testPrincipal(), {}, signal)
    }
    expect(listeners).toBe(0)
    await endpoint.close()
    await store.close()
  })
})

function testToolDeps(store: Store): ToolDeps {
  const limits = { maxRows: 100, statementTimeoutMs: 5_000 }
  return { store, catalog: new ProjectCatalog(store), data: new DataPlane(store, { env: {}, ...limits }), limits }
}
