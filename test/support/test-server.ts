import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { configFromObject } from '../../src/config/load-config.js'
import { startServer } from '../../src/http/gatehouse-server.js'
import type { RunningServer, ServerOptions } from '../../src/http/gatehouse-server.js'
import { ApiKeyService } from '../../src/auth/api-keys/api-key-service.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import type { Store } from '../../src/store/store.js'

export interface Fixture {
  readonly orgId: string
  readonly projectId: string
  readonly adminEmail: string
}

/** Creates an org with an admin user and a project: the smallest world a credential can live in. */
export async function seedOrg(store: Store, name = 'acme'): Promise<Fixture> {
  const org = await store.orgs.create(name)
  const adminEmail = `admin@${name}.test`
  await store.users.createMember(org.id, { email: adminEmail, role: 'admin', groups: ['analysts'] })
  const project = await store.projects.create(org.id, 'analytics')
  return { orgId: org.id, projectId: project.id, adminEmail }
}

export async function createKey(
  store: Store,
  fixture: Fixture,
  options: {
    permissions?: string
    expires?: 'never' | '7d' | '90d'
    name?: string
    /** Project ids (default: the fixture's project). */
    projects?: readonly string[]
    domains?: readonly string[]
    /** The member the key acts for (default: the fixture's admin). */
    user?: string
  } = {},
): Promise<{ key: string; id: string; prefix: string }> {
  const permissions = parsePermissions(options.permissions ?? 'read')
  if (!permissions.ok) throw new Error(permissions.error)
  const { key, view } = await new ApiKeyService(store, { record() {} }).create({
    orgId: fixture.orgId,
    userEmail: options.user ?? fixture.adminEmail,
    name: options.name ?? 'test',
    projects: options.projects ?? [fixture.projectId],
    domains: options.domains ?? [],
    permissions: permissions.value,
    expires: options.expires ?? '90d',
    admin: false,
    createdBy: 'test',
  })
  return { key, id: view.id, prefix: view.prefix }
}

export interface TestServer extends AsyncDisposable {
  readonly server: RunningServer
  readonly url: string
  readonly dir: string
  close(): Promise<void>
}

/** A real server on an ephemeral loopback port with a fresh SQLite store (or `storeUrl`). */
export async function startTestServer(
  raw: Record<string, unknown> = {},
  options: Partial<ServerOptions> & { storeUrl?: string } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'))
  const { server: serverSection, ...rest } = raw as { server?: Record<string, unknown> }
  const config = configFromObject(
    {
      ...rest,
      server: { port: 0, public_url: 'http://localhost:8000', ...serverSection },
      store: { url: options.storeUrl ?? `sqlite:${join(dir, 'state.db')}` },
      logging: { level: 'silent' },
    },
    'test.yaml',
    dir,
    {},
  )
  const server = await startServer(config, { logger: pino({ level: 'silent' }), ...options })
  const close = async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { server, url: server.url, dir, close, [Symbol.asyncDispose]: close }
}

export function mcpPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })
}

export const callTool = (name: string, args: Record<string, unknown> = {}, id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
})
