import { beforeAll, describe, expect, it } from 'vitest'
import { workspace } from '../support/cli-workspace.js'
import type { Workspace } from '../support/cli-workspace.js'

interface MemberJson {
  user_id: string
  email: string
  role: string
  status: string
  attributes: Record<string, unknown>
}
interface TenantJson {
  id: string
  name: string
  attributes: Record<string, unknown>
}

describe('identity administration from the CLI', () => {
  let ws: Workspace
  const member = async (email: string) =>
    (await ws.json<MemberJson[]>(['users', 'list', '--org', 'acme'])).find((m) => m.email === email)

  beforeAll(async () => {
    ws = workspace()
    await ws.cli(['orgs', 'create', 'acme'])
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'ana@acme.test', '--role', 'admin'])
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'bo@acme.test'])
  })

  it('creates tenants with typed attributes and lists them', async () => {
    const created = await ws.json<TenantJson>([
      'tenants',
      'create',
      '--org',
      'acme',
      '--name',
      'globex',
      '--attr',
      'tenant_id=t_globex',
      '--attr',
      'seats=25',
      '--attr',
      'regions=["EMEA","NA"]',
    ])
    expect(created).toMatchObject({
      name: 'globex',
      attributes: { tenant_id: 't_globex', seats: 25, regions: ['EMEA', 'NA'] },
    })
    expect(created.id).toMatch(/^ten_/)
    expect((await ws.json<TenantJson[]>(['tenants', 'list', '--org', 'acme'])).map((t) => t.name)).toEqual(['globex'])
  })

  it('sets, changes and removes a member’s attributes', async () => {
    await ws.json(['users', 'set-attr', '--org', 'acme', '--email', 'bo@acme.test', 'tenant_id=t_globex', 'level=3'])
    expect((await member('bo@acme.test'))?.attributes).toEqual({ tenant_id: 't_globex', level: 3 })
    await ws.json(['users', 'set-attr', '--org', 'acme', '--email', 'bo@acme.test', 'level=', 'team=blue'])
    expect((await member('bo@acme.test'))?.attributes).toEqual({ tenant_id: 't_globex', team: 'blue' })
  })

  it('deactivates and reactivates a member', async () => {
    await ws.json(['users', 'deactivate', '--org', 'acme', '--email', 'bo@acme.test'])
    expect((await member('bo@acme.test'))?.status).toBe('inactive')
    await ws.json(['users', 'activate', '--org', 'acme', '--email', 'bo@acme.test'])
    expect((await member('bo@acme.test'))?.status).toBe('active')
  })

  it('deletes a user who has no other organization, freeing the email for a new account', async () => {
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'cy@acme.test'])
    const before = await member('cy@acme.test')
    const deleted = await ws.json<{ user_deleted: boolean }>([
      'users',
      'delete',
      '--org',
      'acme',
      '--email',
      'cy@acme.test',
    ])
    expect(deleted.user_deleted).toBe(true)
    expect(await member('cy@acme.test')).toBeUndefined()
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'cy@acme.test'])
    expect((await member('cy@acme.test'))?.user_id).not.toBe(before?.user_id)
  })

  it('deletes an organization with its projects and tenants, freeing its name', async () => {
    await ws.cli(['orgs', 'create', 'initech'])
    await ws.cli(['projects', 'create', '--org', 'initech', 'p1'])
    await ws.cli(['tenants', 'create', '--org', 'initech', '--name', 't1'])
    expect((await ws.cli(['orgs', 'delete', 'initech'])).code).toBe(0)
    expect((await ws.json<{ name: string }[]>(['orgs', 'list'])).map((o) => o.name)).not.toContain('initech')
    expect((await ws.cli(['projects', 'list', '--org', 'initech'])).err).toBe('error: Organization initech not found')
    await ws.cli(['orgs', 'create', 'initech'])
    expect(await ws.json(['projects', 'list', '--org', 'initech'])).toEqual([])
    expect(await ws.json(['tenants', 'list', '--org', 'initech'])).toEqual([])
  })

  it.each([
    [['tenants', 'create', '--org', 'acme', '--name', 'globex'], 'A tenant named "globex" already exists'],
    [['tenants', 'create', '--org', 'acme', '--name', 'ten_x'], 'is not a valid tenant name'],
    [['tenants', 'create', '--org', 'acme', '--name', 'x', '--attr', 'no-equals'], 'is not KEY=VALUE'],
    [['tenants', 'create', '--org', 'nope', '--name', 'x'], 'Organization nope not found'],
    [['users', 'set-attr', '--org', 'acme', '--email', 'bo@acme.test', '1bad=x'], 'is not KEY=VALUE'],
    [
      ['users', 'set-attr', '--org', 'acme', '--email', 'zz@acme.test', 'a=b'],
      'User zz@acme.test in this organization not found',
    ],
    [
      ['users', 'deactivate', '--org', 'acme', '--email', 'zz@acme.test'],
      'User zz@acme.test in this organization not found',
    ],
    [
      ['users', 'delete', '--org', 'acme', '--email', 'zz@acme.test'],
      'User zz@acme.test in this organization not found',
    ],
    [['orgs', 'deactivate', 'nope'], 'Organization nope not found'],
    [['orgs', 'delete', 'nope'], 'Organization nope not found'],
  ])('refuses %j, saying why', async (args, expected) => {
    const result = await ws.cli(args)
    expect(result.code).toBe(1)
    expect(result.err).toContain(expected)
  })
})
