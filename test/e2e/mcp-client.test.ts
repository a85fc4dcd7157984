import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { runCli, spawnServe } from '../support/spawn-gatehouse.js'
import type { ServeProcess } from '../support/spawn-gatehouse.js'
import { Store } from '../../src/store/store.js'
import { BUILTIN_TOOLS } from '../../src/mcp/tools/core-tools.js'

/** The official MCP client SDK, over HTTP, against `gatehouse serve` set up with the CLI, as a user would. */
describe('gatehouse serve with the official MCP client SDK', () => {
  let dir: string
  let configPath: string
  let server: ServeProcess
  let key: string
  let projectId: string

  const cli = async (...args: string[]) => {
    const result = await runCli(['--config', configPath, ...args])
    if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${result.stderr}`)
    return result.stdout
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'))
    configPath = join(dir, 'gatehouse.yaml')
    // A long flush interval: records reach the store only through the shutdown flush.
    writeFileSync(
      configPath,
      'server:\n  port: 0\nstore:\n  url: sqlite:./state.db\naudit:\n  flush_interval_ms: 600000\nlogging:\n  level: warn\n',
    )
    await cli('orgs', 'create', 'acme')
    await cli('users', 'create', '--org', 'acme', '--email', 'ana@acme.test', '--role', 'admin', '--group', 'emea')
    projectId = (JSON.parse(await cli('projects', 'create', '--org', 'acme', 'analytics', '--json')) as { id: string })
      .id
    key = (
      JSON.parse(
        await cli(
          'keys',
          'create',
          '--org',
          'acme',
          '--user',
          'ana@acme.test',
          '--name',
          'e2e',
          '--project',
          'analytics',
          '--json',
        ),
      ) as { key: string }
    ).key
    server = await spawnServe(configPath)
  })
  afterAll(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const connect = async (credential: string, versions?: string[]) => {
    const modern = versions?.some((v) => v >= '2026-07-28') === true
    const client = new Client(
      { name: 'e2e', version: '1.0.0' },
      {
        ...(versions !== undefined && { supportedProtocolVersions: versions }),
        ...(modern && { versionNegotiation: { mode: 'auto' as const } }),
      },
    )
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${credential}` } },
    })
    await client.connect(transport)
    return client
  }

  it.each([['2025-06-18'], ['2025-11-25'], ['2026-07-28']])(
    'connects, lists tools and calls them at protocol %s',
    async (version) => {
      const client = await connect(key, [version])
      try {
        expect(client.getServerVersion()?.name).toBe('gatehouse')
        expect(client.getNegotiatedProtocolVersion()).toBe(version)
        const { tools } = await client.listTools()
        expect(tools.map((t) => t.name)).toEqual(BUILTIN_TOOLS.map((t) => t.name))
        const projects = await client.callTool({ name: 'list_projects', arguments: {} })
        expect(projects.structuredContent).toEqual({ projects: [{ id: projectId, name: 'analytics' }] })
        const context = await client.callTool({
          name: 'get_access_context',
          arguments: { response_format: 'markdown' },
        })
        expect(context.structuredContent).toMatchObject({
          organization: { name: 'acme' },
          principal: { kind: 'api_key', email: 'ana@acme.test', role: 'admin', groups: ['emea'] },
          permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
          query_modes: { standard: true, dev: false },
        })
        expect((context.content as { text: string }[])[0]?.text).toContain('- **organization**:')
      } finally {
        await client.close()
      }
    },
  )

  it('reports invalid arguments as a tool error through the SDK', async () => {
    const client = await connect(key)
    try {
      const result = await client.callTool({ name: 'list_projects', arguments: { response_format: 'xml' } })
      expect(result.isError).toBe(true)
    } finally {
      await client.close()
    }
  })

  it('cannot connect with a wrong key', async () => {
    await expect(connect(`${key.slice(0, 16)}${'x'.repeat(32)}`)).rejects.toThrow()
  })

  it('flushes every audit record on SIGTERM and exits 0', async () => {
    const client = await connect(key)
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'list_projects', arguments: {} })
    await client.close()
    expect(await server.stop()).toBe(0)
    const store = Store.open(`sqlite:${join(dir, 'state.db')}`)
    try {
      const calls = await store.audit.query({ type: 'mcp.call' })
      // 5 here, 2 per protocol revision, 1 failed call with invalid arguments.
      expect(calls.length).toBe(12)
      const verified = await runCli(['--config', configPath, 'audit', 'verify'])
      expect(verified.stdout).toContain('OK:')
      expect(verified.code).toBe(0)
    } finally {
      await store.close()
    }
  })
})
