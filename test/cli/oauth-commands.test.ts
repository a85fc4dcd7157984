import { beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../../src/store/store.js'
import { workspace } from '../support/cli-workspace.js'
import type { Workspace } from '../support/cli-workspace.js'

interface ClientJson {
  client_id: string
  client_name: string
  origin: string
  type: string
  redirect_uris: string[]
  client_secret?: string | null
}

describe('clients and apps from the CLI', () => {
  let ws: Workspace
  beforeAll(async () => {
    ws = workspace()
    await ws.cli(['orgs', 'create', 'acme'])
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'ana@acme.test'])
  })

  it('creates a confidential client whose secret is printed once and stored hashed', async () => {
    const created = await ws.json<ClientJson>([
      'clients',
      'create',
      '--name',
      'Reporting',
      '--redirect-uri',
      'https://reports.example/cb',
      '--confidential',
    ])
    expect(created).toMatchObject({ client_name: 'Reporting', origin: 'operator', type: 'confidential' })
    expect(created.client_secret).toMatch(/^[A-Za-z0-9]{48}$/)
    const listed = await ws.json<ClientJson[]>(['clients', 'list'])
    expect(listed.find((c) => c.client_id === created.client_id)).not.toHaveProperty('client_secret')
    await using store = Store.open(ws.url)
    const row = await store.oauth.findClient(created.client_id)
    expect(JSON.stringify(row)).not.toContain(created.client_secret)
  })

  it('creates a public native client for a loopback or cursor:// redirect URI', async () => {
    const created = await ws.json<ClientJson>([
      'clients',
      'create',
      '--name',
      'Desktop',
      '--redirect-uri',
      'http://127.0.0.1/callback',
      '--redirect-uri',
      'cursor://x/cb',
    ])
    expect(created).toMatchObject({ type: 'public', redirect_uris: ['http://127.0.0.1/callback', 'cursor://x/cb'] })
    expect(created.client_secret).toBeNull()
  })

  it.each([
    [['--name', 'X', '--redirect-uri', 'http://app.example/cb'], 'uses http on a host that is not loopback'],
    [['--name', 'X', '--redirect-uri', 'javascript:alert(1)'], 'must not use the javascript scheme'],
    [['--name', 'X', '--redirect-uri', 'cursor://x/cb', '--confidential'], 'for public clients only'],
    [['--name', 'X', '--redirect-uri', 'https://a.example/cb', '--scope', 'admin'], 'Unknown scope admin'],
  ])('refuses %j with a clear error and stores nothing', async (args, message) => {
    const before = (await ws.json<ClientJson[]>(['clients', 'list'])).length
    const result = await ws.cli(['clients', 'create', ...args])
    expect(result.code).not.toBe(0)
    expect(result.err).toContain(message)
    expect((await ws.json<ClientJson[]>(['clients', 'list'])).length).toBe(before)
  })

  it('deletes a client; an unknown one is an error', async () => {
    const created = await ws.json<ClientJson>([
      'clients',
      'create',
      '--name',
      'Gone',
      '--redirect-uri',
      'https://g.example/cb',
    ])
    expect((await ws.cli(['clients', 'delete', created.client_id])).code).toBe(0)
    expect((await ws.json<ClientJson[]>(['clients', 'list'])).some((c) => c.client_id === created.client_id)).toBe(
      false,
    )
    const again = await ws.cli(['clients', 'delete', created.client_id])
    expect(again.code).not.toBe(0)
    expect(again.err).toContain('not found')
  })

  it('lists and disconnects Connected Applications', async () => {
    await using store = Store.open(ws.url)
    const org = await store.orgs.findByRef('acme')
    const user = await store.users.findMember(org?.id ?? '', 'ana@acme.test')
    await store.oauth.insertGrant({
      id: 'grant-cli-1',
      org_id: org?.id ?? '',
      user_id: user?.userId ?? '',
      client_id: 'c1',
      client_name: 'Claude',
      project_ids: '[]',
      scopes: 'mcp:read',
      created_at: Date.now(),
      last_used_at: null,
      disconnected_at: null,
      disconnect_reason: null,
    })
    const listed = await ws.json<{ id: string; status: string }[]>([
      'apps',
      'list',
      '--org',
      'acme',
      '--user',
      'ana@acme.test',
    ])
    expect(listed).toEqual([expect.objectContaining({ id: 'grant-cli-1', status: 'connected' })])
    const text = await ws.cli(['apps', 'list', '--org', 'acme'])
    expect(text.out).toContain('Claude')
    expect(text.out).toContain('ana@acme.test')
    const disconnected = await ws.json<{ status: string }>(['apps', 'disconnect', 'grant-cli-1'])
    expect(disconnected.status).toBe('disconnected')
    expect((await ws.cli(['apps', 'disconnect', 'nope'])).code).not.toBe(0)
  })
})
