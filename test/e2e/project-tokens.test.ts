import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { runCli, spawnServe } from '../support/spawn-gatehouse.js'
import type { ServeProcess } from '../support/spawn-gatehouse.js'
import { callTool, mcpPost } from '../support/test-server.js'
import { DEMO_PROJECT_FILE } from '../support/data-fixture.js'
import { createDemoWarehouse } from '../../src/data/engines/duckdb/demo-warehouse.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Minted {
  readonly accessToken: string
  readonly tokenType: string
  readonly expiresAt: string
}

/**
 * The embedded (SaaS) pattern end to end: `gatehouse serve` set up with the
 * CLI, a backend that mints tenant-user tokens over HTTP, and agents that use
 * them through the official MCP client SDK.
 */
describe('project tokens for an embedding product, with the official MCP client SDK', () => {
  let dir: string
  let configPath: string
  let server: ServeProcess
  let projectId: string
  let secret: { id: string; secret: string }
  const tenants: Record<string, string> = {}

  const cli = async (args: string[], input?: string) => {
    const result = await runCli(['--config', configPath, ...args], input)
    if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} failed: ${result.stderr}`)
    return result.stdout
  }

  /** The SaaS backend: holds the project secret, mints a token per end user. */
  const backendMint = async (fields: Record<string, unknown>): Promise<Minted> => {
    const res = await fetch(`${server.url}/api/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'project', projectId, projectSecret: secret.secret, ...fields }),
    })
    const body = (await res.json()) as Minted
    expect(res.status, JSON.stringify(body)).toBe(200)
    return body
  }

  const connect = async (token: string) => {
    const client = new Client({ name: 'embedded-agent', version: '1.0.0' })
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    })
    await client.connect(transport)
    return client
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-tokens-'))
    configPath = join(dir, 'gatehouse.yaml')
    writeFileSync(configPath, 'server:\n  port: 0\nstore:\n  url: sqlite:./state.db\nlogging:\n  level: warn\n')
    await createDemoWarehouse(join(dir, 'warehouse.duckdb'), { orders: 500 })
    copyFileSync(DEMO_PROJECT_FILE, join(dir, 'project.yaml'))

    await cli(['orgs', 'create', 'acme'])
    await cli(['users', 'create', '--org', 'acme', '--email', 'ana@acme.test', '--role', 'member'])
    for (const name of ['globex', 'initech']) {
      const created = JSON.parse(
        await cli(['tenants', 'create', '--org', 'acme', '--name', name, '--attr', `tenant_id=t_${name}`, '--json']),
      ) as { id: string }
      tenants[name] = created.id
    }
    await cli(['apply', '-f', join(dir, 'project.yaml'), '--org', 'acme'])
    await cli(['projects', 'create', '--org', 'acme', 'sandbox'])
    const projects = JSON.parse(await cli(['projects', 'list', '--org', 'acme', '--json'])) as {
      id: string
      name: string
    }[]
    projectId = projects.find((p) => p.name === 'analytics')?.id as string
    secret = JSON.parse(
      await cli([
        'projects',
        'secret',
        'create',
        '--org',
        'acme',
        '--project',
        'analytics',
        '--allow-org-users',
        '--json',
      ]),
    ) as { id: string; secret: string }
    server = await spawnServe(configPath)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('gives each tenant’s agent its own token: its project only, its tenant, and only its own rows', async () => {
    const counts: Record<string, unknown> = {}
    for (const [name, tenantId] of Object.entries(tenants)) {
      const { accessToken } = await backendMint({
        tenantId: name,
        endUserId: `${name}-user-1`,
        semanticDomainAccess: { mode: 'include', domains: ['sales'] },
      })
      const client = await connect(accessToken)
      try {
        const projects = await client.callTool({ name: 'list_projects', arguments: {} })
        expect(projects.structuredContent).toEqual({ projects: [{ id: projectId, name: 'analytics' }] })
        const context = await client.callTool({ name: 'get_access_context', arguments: {} })
        expect(context.structuredContent).toMatchObject({
          organization: { name: 'acme' },
          principal: { kind: 'project_token', tenant_id: tenantId, role: 'tenant_user', user_id: null },
          projects: [{ id: projectId, name: 'analytics' }],
          permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
          domain_access: { mode: 'include', domains: ['sales'] },
          // The demo project's `tenant: '*'` assignment, narrowed by the token's domain access.
          visible_connections: [{ project: 'analytics', name: 'warehouse', engine: 'duckdb' }],
          visible_domains: [{ project: 'analytics', name: 'sales' }],
        })
        const byTenant = await client.callTool({
          name: 'query',
          arguments: { domain: 'sales', dimensions: ['tenant'], measures: ['order_count'] },
        })
        const rows = (byTenant.structuredContent as { rows: unknown[][] }).rows
        expect(rows.map((r) => r[0])).toEqual([`t_${name}`])
        counts[name] = rows[0]?.[1]
      } finally {
        await client.close()
      }
    }
    expect(counts.globex).not.toEqual(counts.initech)
  })

  it("gives an org user's agent the project's domains, narrowed by semanticDomainAccess", async () => {
    const { accessToken } = await backendMint({
      orgUserId: 'ana@acme.test',
      semanticDomainAccess: { mode: 'include', domains: ['sales'] },
    })
    const client = await connect(accessToken)
    try {
      const domains = await client.callTool({ name: 'list_domains', arguments: {} })
      const { domains: listed } = domains.structuredContent as { domains: { name: string }[] }
      expect(listed.map((d) => d.name)).toEqual(['sales'])
      const result = await client.callTool({
        name: 'query',
        arguments: { domain: 'sales', dimensions: ['region'], measures: ['order_count'], limit: 10 },
      })
      expect(result.isError).toBeFalsy()
      expect((result.structuredContent as { row_count: number }).row_count).toBeGreaterThan(0)
    } finally {
      await client.close()
    }
  })

  it('mints the same kind of token with the CLI (secret from stdin)', async () => {
    const out = await cli(
      [
        'token',
        'mint',
        '--project',
        'analytics',
        '--secret-stdin',
        '--tenant',
        'globex',
        '--end-user',
        'u-9',
        '--json',
      ],
      `${secret.secret}\n`,
    )
    const minted = JSON.parse(out) as Minted
    expect(minted.tokenType).toBe('Bearer')
    const client = await connect(minted.accessToken)
    try {
      const context = await client.callTool({ name: 'get_access_context', arguments: {} })
      expect(context.structuredContent).toMatchObject({ principal: { tenant_id: tenants.globex } })
    } finally {
      await client.close()
    }
  })

  it('fails every token of a secret revoked with the CLI within 1 s', async () => {
    const tokens = await Promise.all(Object.keys(tenants).map((tenantId) => backendMint({ tenantId })))
    const clients = await Promise.all(tokens.map((t) => connect(t.accessToken)))
    try {
      for (const client of clients) await client.callTool({ name: 'list_projects', arguments: {} })
      const revoked = await runCli(['--config', configPath, 'projects', 'secret', 'revoke', secret.id])
      expect(revoked).toMatchObject({ code: 0, stderr: '' })
      await sleep(1000)
      for (const client of clients) {
        await expect(client.callTool({ name: 'list_projects', arguments: {} })).rejects.toThrow()
      }
      for (const { accessToken } of tokens) {
        const res = await mcpPost(server.url, callTool('list_projects'), { authorization: `Bearer ${accessToken}` })
        expect(res.status).toBe(401)
        expect(res.headers.get('www-authenticate')).toContain('error_description="Token is revoked or expired"')
        expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Token is revoked or expired' })
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()))
    }
  })
})
