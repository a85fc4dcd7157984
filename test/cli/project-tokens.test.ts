import { beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { workspace } from '../support/cli-workspace.js'
import type { Workspace } from '../support/cli-workspace.js'
import { Store } from '../../src/store/store.js'

const SECRET_SHAPE = /^ps_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/

interface SecretJson {
  id: string
  org_id: string
  project_id: string
  max_permissions: Record<string, string[]>
  allow_org_users: boolean
  status: 'active' | 'revoked'
  created_at: string
  revoked_at: string | null
  secret?: string
}

interface SigningKeyJson {
  kid: string
  alg: string
  status: string
  retired_at: string | null
  published_until: string | null
}

describe('gatehouse projects secret, signing-keys and token mint', () => {
  let ws: Workspace
  let projectId: string
  let tenantId: string

  const auditTypes = async () => {
    const store = Store.open(ws.url)
    try {
      return (await store.audit.query({})).map((r) => ({ type: r.type, data: r.data }))
    } finally {
      await store.close()
    }
  }

  beforeAll(async () => {
    ws = workspace()
    await ws.json(['orgs', 'create', 'acme'])
    await ws.json(['users', 'create', '--org', 'acme', '--email', 'ana@acme.test'])
    projectId = (await ws.json<{ id: string }>(['projects', 'create', '--org', 'acme', 'analytics'])).id
    tenantId = (await ws.json<{ id: string }>(['tenants', 'create', '--org', 'acme', '--name', 'globex'])).id
  })

  it('creates a secret, prints it once, and lists it without the secret', async () => {
    const created = await ws.cli(['projects', 'secret', 'create', '--org', 'acme', '--project', 'analytics'])
    expect(created.code).toBe(0)
    const secret = /\n {2}(ps_\S+)\n/.exec(created.out)?.[1] as string
    expect(secret).toMatch(SECRET_SHAPE)
    expect(created.out).toContain('(at most data:read,domains:read,saved_queries:read).')
    expect(created.out).toContain('This is the only time the secret is shown.')

    const listed = await ws.cli(['projects', 'secret', 'list', '--org', 'acme', '--project', 'analytics'])
    expect(listed.out).toContain(secret.slice(0, 15))
    expect(listed.out).not.toContain(secret.slice(16))
    const json = await ws.json<SecretJson[]>(['projects', 'secret', 'list', '--org', 'acme', '--project', projectId])
    expect(json.find((s) => s.id === secret.slice(0, 15))).toMatchObject({
      project_id: projectId,
      max_permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
      allow_org_users: false,
      status: 'active',
      revoked_at: null,
    })
    expect(JSON.stringify(json)).not.toContain(secret.slice(16))
    const audit = await auditTypes()
    expect(audit.map((r) => r.type)).toContain('secret.created')
    expect(JSON.stringify(audit)).not.toContain(secret.slice(16))
  })

  it.each([
    [['--max-permissions', 'admin'], '--max-permissions: "admin" is not resource:action'],
    [['--project', 'nope'], 'Project nope not found'],
  ])('refuses a secret with %j', async (args, message) => {
    const base = ['projects', 'secret', 'create', '--org', 'acme', '--project', 'analytics']
    const result = await ws.cli([...base, ...args])
    expect(result.code).toBe(1)
    expect(result.err).toContain(message)
  })

  it('mints a token with the secret from stdin, as the HTTP API does', async () => {
    const created = await ws.json<SecretJson>([
      'projects',
      'secret',
      'create',
      '--org',
      'acme',
      '--project',
      'analytics',
      '--max-permissions',
      'data:read,domains:read,sql:read',
      '--allow-org-users',
    ])
    const args = [
      'token',
      'mint',
      '--project',
      'analytics',
      '--secret-stdin',
      '--tenant',
      'globex',
      '--end-user',
      'u-1',
      '--expires',
      '600',
      '--domains',
      'include:sales,customers',
      '--param',
      'region=EMEA',
      '--param',
      'limit=5',
      '--permissions',
      'data:read,sql:read',
    ]
    const result = await ws.cli(args, `${created.secret}\n`)
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    const token = result.out.trim()
    expect(decodeProtectedHeader(token).typ).toBe('gatehouse-project+jwt')
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({
      sub: `tenant:${tenantId}:u-1`,
      project_id: projectId,
      tenant_id: tenantId,
      sid: created.id,
      permissions: { data: ['read'], sql: ['read'] },
      domain_access: { mode: 'include', domains: ['sales', 'customers'] },
      security_params: { region: 'EMEA', limit: 5 },
    })
    expect((claims.exp as number) - (claims.iat as number)).toBe(600)

    const orgUser = await ws.cli(
      ['token', 'mint', '--project', projectId, '--secret-stdin', '--org-user', 'ana@acme.test', '--json'],
      created.secret as string,
    )
    expect(JSON.parse(orgUser.out)).toMatchObject({ tokenType: 'Bearer', expiresAt: expect.any(String) })
  })

  it.each([
    ['no --secret-stdin', [], 'x', 'the project secret is read from standard input: pass --secret-stdin'],
    [
      'a wrong secret',
      ['--secret-stdin'],
      `ps_${'A'.repeat(12)}_${'B'.repeat(32)}`,
      'Invalid projectId or projectSecret',
    ],
    ['an expiry beyond a day', ['--secret-stdin', '--expires', '90000'], null, 'tokenExpiry: expected at most 86400'],
    ['an unknown domain mode', ['--secret-stdin', '--domains', 'some:a'], null, 'semanticDomainAccess.mode'],
  ])('refuses to mint with %s', async (_, extra, stdin, message) => {
    const secret =
      stdin ??
      (await ws.json<SecretJson>(['projects', 'secret', 'create', '--org', 'acme', '--project', 'analytics'])).secret
    const result = await ws.cli(['token', 'mint', '--project', 'analytics', ...extra], secret as string)
    expect(result.code).toBe(1)
    expect(result.err).toContain(message)
    expect(result.out).toBe('')
  })

  it('rotates a secret (same settings, the old one revoked) and revokes for good', async () => {
    const created = await ws.json<SecretJson>([
      'projects',
      'secret',
      'create',
      '--org',
      'acme',
      '--project',
      'analytics',
      '--allow-org-users',
    ])
    const rotated = await ws.json<SecretJson & { revoked: SecretJson }>(['projects', 'secret', 'rotate', created.id])
    expect(rotated.secret).toMatch(SECRET_SHAPE)
    expect(rotated).toMatchObject({ allow_org_users: true, status: 'active' })
    expect(rotated.revoked).toMatchObject({ id: created.id, status: 'revoked' })

    const old = await ws.cli(['token', 'mint', '--project', 'analytics', '--secret-stdin'], created.secret)
    expect(old.err).toContain('Invalid projectId or projectSecret')
    const again = await ws.cli(['projects', 'secret', 'rotate', created.id])
    expect(again.code).toBe(1)
    expect(again.err).toContain('is revoked')

    const revoked = await ws.cli(['projects', 'secret', 'revoke', rotated.id])
    expect(revoked).toMatchObject({ code: 0, out: `Revoked project secret ${rotated.id}` })
    const listed = await ws.json<SecretJson[]>([
      'projects',
      'secret',
      'list',
      '--org',
      'acme',
      '--project',
      'analytics',
    ])
    expect(listed.find((s) => s.id === rotated.id)?.status).toBe('revoked')
    expect((await ws.cli(['projects', 'secret', 'revoke', 'ps_unknown00000'])).err).toContain('not found')
  })

  it('rotates signing keys and lists public facts only', async () => {
    const [first] = await ws.json<SigningKeyJson[]>(['signing-keys', 'list'])
    expect(first).toMatchObject({ alg: 'ES256', status: 'current', retired_at: null, published_until: null })
    const rotated = await ws.json<SigningKeyJson>(['signing-keys', 'rotate'])
    expect(rotated.kid).not.toBe(first?.kid)
    const listed = await ws.json<SigningKeyJson[]>(['signing-keys', 'list'])
    expect(listed.find((k) => k.kid === first?.kid)).toMatchObject({
      status: 'retired',
      published_until: expect.any(String),
    })
    const table = await ws.cli(['signing-keys', 'list'])
    expect(table.out).toContain(rotated.kid)
    for (const output of [table.out, JSON.stringify(listed)]) {
      expect(output).not.toMatch(/"d"|private/)
    }
  })
})
