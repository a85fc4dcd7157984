import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose'
import type { JWK } from 'jose'
import { callTool, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'
import type { Store } from '../../src/store/store.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import { ProjectSecretService } from '../../src/auth/project-tokens/project-secret-service.js'
import { ProjectTokenMinter } from '../../src/auth/project-tokens/project-token-minter.js'
import { SigningKeys } from '../../src/auth/tokens/signing-keys.js'

const PUBLIC_URL = 'http://localhost:8000'
const METADATA = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`
const challenge = (description: string) =>
  `Bearer realm="gatehouse", error="invalid_token", error_description="${description}", resource_metadata="${METADATA}", scope="mcp:read"`
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Invalid projectId or projectSecret' }

interface ToolAnswer {
  readonly isError?: boolean
  readonly structuredContent?: Record<string, unknown>
}

interface Minted {
  readonly accessToken: string
  readonly tokenType: string
  readonly expiresAt: string
}

interface World {
  readonly fixture: Fixture
  readonly tenantId: string
  readonly sandboxId: string
  readonly userId: string
  readonly otherOrg: { readonly projectId: string; readonly tenantId: string; readonly secret: string }
  readonly secrets: {
    /** Tenant users only, ceiling simple read. */
    readonly tenant: string
    /** Org users allowed, ceiling read + sql:read. */
    readonly orgUsers: string
    readonly revoked: string
    readonly sandbox: string
  }
}

function permissions(text: string) {
  const parsed = parsePermissions(text)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.value
}

async function createSecret(
  store: Store,
  orgId: string,
  project: string,
  options: { max?: string; allowOrgUsers?: boolean } = {},
): Promise<{ secret: string; id: string }> {
  const { secret, view } = await new ProjectSecretService(store, { record() {} }).create({
    orgId,
    project,
    maxPermissions: permissions(options.max ?? 'read'),
    allowOrgUsers: options.allowOrgUsers === true,
    createdBy: 'test',
  })
  return { secret, id: view.id }
}

describe('project tokens over HTTP (SPEC §4.3)', () => {
  let t: TestServer
  let store: Store
  let warehouse: Warehouse
  let world: World

  const mintPost = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/api/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'saas-backend/1.0', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  const mint = async (fields: Record<string, unknown>): Promise<Minted> => {
    const res = await mintPost({ type: 'project', projectId: world.fixture.projectId, ...fields })
    const body = (await res.json()) as Minted
    expect(res.status, JSON.stringify(body)).toBe(200)
    return body
  }

  const call = async (token: string, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    const res = await mcpPost(t.url, callTool(name, args), { authorization: `Bearer ${token}` })
    expect(res.status).toBe(200)
    return ((await res.json()) as { result: ToolAnswer }).result
  }

  const auditOf = async (type: string) => {
    await t.server.audit.flush()
    return (await store.audit.query({ type })).map((r) => ({
      ...r,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }))
  }

  beforeAll(async () => {
    warehouse = await demoWarehouse('duckdb')
    t = await startTestServer({}, { env: warehouse.env })
    store = t.server.store
    const fixture = await seedOrg(store)
    await applyDemoProject(store, fixture, warehouse)
    const sandbox = await store.projects.create(fixture.orgId, 'sandbox')
    const tenant = await store.tenants.create(fixture.orgId, { name: 'globex', attributes: { tenant_id: 't_globex' } })
    const admin = await store.users.findMember(fixture.orgId, fixture.adminEmail)
    const revoked = await createSecret(store, fixture.orgId, fixture.projectId)
    await new ProjectSecretService(store, { record() {} }).revoke(fixture.orgId, revoked.id, 'test')

    const other = await seedOrg(store, 'initech')
    const otherTenant = await store.tenants.create(other.orgId, { name: 'umbrella' })
    await store.users.createMember(other.orgId, { email: 'bob@initech.test', role: 'member' })
    world = {
      fixture,
      tenantId: tenant.id,
      sandboxId: sandbox.id,
      userId: admin?.userId as string,
      otherOrg: {
        projectId: other.projectId,
        tenantId: otherTenant.id,
        secret: (await createSecret(store, other.orgId, other.projectId, { allowOrgUsers: true })).secret,
      },
      secrets: {
        tenant: (await createSecret(store, fixture.orgId, fixture.projectId)).secret,
        orgUsers: (
          await createSecret(store, fixture.orgId, fixture.projectId, {
            max: 'data:read,domains:read,saved_queries:read,sql:read',
            allowOrgUsers: true,
          })
        ).secret,
        revoked: revoked.secret,
        sandbox: (await createSecret(store, fixture.orgId, sandbox.id)).secret,
      },
    }
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await warehouse?.close()
  })

  describe('minting', () => {
    it('mints a tenant-user token: an ES256 JWT of typ gatehouse-project+jwt for the MCP resource', async () => {
      const before = Date.now()
      const res = await mintPost({
        type: 'project',
        projectId: world.fixture.projectId,
        projectSecret: world.secrets.tenant,
        tenantId: 'globex',
        endUserId: 'u-17',
        securityParams: { region: 'EMEA' },
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const body = (await res.json()) as Minted
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresAt', 'tokenType'])
      expect(body.tokenType).toBe('Bearer')

      const header = decodeProtectedHeader(body.accessToken)
      expect(header).toMatchObject({ alg: 'ES256', typ: 'gatehouse-project+jwt' })
      const claims = decodeJwt(body.accessToken)
      expect(claims).toEqual({
        iss: PUBLIC_URL,
        aud: `${PUBLIC_URL}/mcp`,
        sub: `tenant:${world.tenantId}:u-17`,
        org_id: world.fixture.orgId,
        project_id: world.fixture.projectId,
        tenant_id: world.tenantId,
        end_user_id: 'u-17',
        sid: world.secrets.tenant.slice(0, 15),
        permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
        domain_access: { mode: 'all' },
        security_params: { region: 'EMEA' },
        jti: expect.stringMatching(/^[0-9A-Za-z]{22}$/),
        iat: expect.any(Number),
        exp: expect.any(Number),
      })
      expect((claims.exp as number) - (claims.iat as number)).toBe(3600)
      expect(claims.iat as number).toBeGreaterThanOrEqual(Math.floor(before / 1000))
      expect(body.expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString())

      const issued = (await auditOf('token.issued')).find((r) => r.data.token_id === claims.jti)
      expect(issued?.org_id).toBe(world.fixture.orgId)
      expect(issued?.data).toMatchObject({
        secret_id: claims.sid,
        tenant_id: world.tenantId,
        user_agent: 'saas-backend/1.0',
      })
      expect(JSON.stringify(issued)).not.toContain(world.secrets.tenant.slice(16))
    })

    it('uses a tenant-user token on /mcp: its project only, kind project_token, the tenant, read permissions', async () => {
      const { accessToken } = await mint({ projectSecret: world.secrets.tenant, tenantId: world.tenantId })
      const context = await call(accessToken, 'get_access_context')
      expect(context.structuredContent).toMatchObject({
        organization: { id: world.fixture.orgId, name: 'acme' },
        principal: { kind: 'project_token', user_id: null, tenant_id: world.tenantId, role: 'tenant_user', groups: [] },
        projects: [{ id: world.fixture.projectId, name: 'analytics' }],
        scopes: ['mcp:read'],
        permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
        // What the demo project's `tenant: '*'` assignment grants.
        visible_connections: [{ project: 'analytics', name: 'warehouse', engine: 'duckdb' }],
        visible_domains: [
          { project: 'analytics', name: 'sales' },
          { project: 'analytics', name: 'customers' },
        ],
        query_modes: { standard: true, dev: false },
      })
      const projects = await call(accessToken, 'list_projects')
      expect(projects.structuredContent).toEqual({ projects: [{ id: world.fixture.projectId, name: 'analytics' }] })
    })

    it("mints an org-user token (by email) that acts with the member's role and groups", async () => {
      const { accessToken } = await mint({ projectSecret: world.secrets.orgUsers, orgUserId: world.fixture.adminEmail })
      expect(decodeJwt(accessToken).sub).toBe(world.userId)
      const context = await call(accessToken, 'get_access_context')
      expect(context.structuredContent).toMatchObject({
        principal: {
          kind: 'project_token',
          user_id: world.userId,
          email: world.fixture.adminEmail,
          role: 'admin',
          groups: ['analysts'],
          tenant_id: null,
        },
        projects: [{ id: world.fixture.projectId, name: 'analytics' }],
        visible_connections: [{ project: 'analytics', name: 'warehouse', engine: 'duckdb' }],
        query_modes: { standard: true, dev: false },
      })
    })

    it('grants dev-mode SQL only when asked for, within the ceiling', async () => {
      const byDefault = await mint({ projectSecret: world.secrets.orgUsers, orgUserId: world.userId })
      const res = await mcpPost(t.url, callTool('list_connections'), {
        authorization: `Bearer ${byDefault.accessToken}`,
      })
      expect(res.status).toBe(403)
      expect(await res.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'This call needs the mcp:sql scope',
      })

      const withSql = await mint({
        projectSecret: world.secrets.orgUsers,
        orgUserId: world.userId,
        permissions: { data: ['read'], sql: ['read'] },
      })
      const context = await call(withSql.accessToken, 'get_access_context')
      expect(context.structuredContent).toMatchObject({
        scopes: ['mcp:read', 'mcp:sql'],
        permissions: { data: ['read'], sql: ['read'] },
        query_modes: { standard: true, dev: true },
      })
      const connections = await call(withSql.accessToken, 'list_connections')
      expect((connections.structuredContent?.connections as { name: string }[]).map((c) => c.name)).toEqual([
        'warehouse',
      ])
    })

    it('narrows the domains an org-user token sees with semanticDomainAccess', async () => {
      const all = await mint({ projectSecret: world.secrets.orgUsers, orgUserId: world.userId })
      const allDomains = await call(all.accessToken, 'list_domains')
      expect((allDomains.structuredContent?.domains as { name: string }[]).map((d) => d.name).sort()).toEqual([
        'customers',
        'sales',
      ])
      const narrowed = await mint({
        projectSecret: world.secrets.orgUsers,
        orgUserId: world.userId,
        semanticDomainAccess: { mode: 'include', domains: ['sales'] },
      })
      const domains = await call(narrowed.accessToken, 'list_domains')
      expect((domains.structuredContent?.domains as { name: string }[]).map((d) => d.name)).toEqual(['sales'])
      const hidden = await call(narrowed.accessToken, 'describe_domain', { domain: 'customers' })
      expect(hidden.isError).toBe(true)
    })

    it('shows a tenant-user token only the domains its semanticDomainAccess names, among those policies grant', async () => {
      const { accessToken } = await mint({
        projectSecret: world.secrets.tenant,
        tenantId: world.tenantId,
        semanticDomainAccess: { mode: 'include', domains: ['sales'] },
      })
      const domains = await call(accessToken, 'list_domains')
      expect((domains.structuredContent?.domains as { name: string }[]).map((d) => d.name)).toEqual(['sales'])
    })
  })

  describe('refusals', () => {
    const valid = () => ({ type: 'project', projectId: world.fixture.projectId, projectSecret: world.secrets.tenant })
    const wrongSecret = () => `${world.secrets.tenant.slice(0, 16)}${'A'.repeat(32)}`

    const invalidRequest = (description: string) => ({ error: 'invalid_request', error_description: description })
    const accessDenied = (description: string) => ({ error: 'access_denied', error_description: description })

    const refusals: [string, () => unknown, number, Record<string, string>, Record<string, string>?][] = [
      ['malformed JSON', () => '{"type": "project",', 400, invalidRequest('body: malformed JSON')],
      ['an empty body', () => '', 400, invalidRequest('body: malformed JSON')],
      ['a JSON array', () => [], 400, invalidRequest('body: Invalid input: expected object, received array')],
      [
        'a body that is not JSON',
        () => 'type=project',
        415,
        invalidRequest('Content-Type must be application/json'),
        { 'content-type': 'application/x-www-form-urlencoded' },
      ],
      [
        'an unknown field',
        () => ({ ...valid(), scope: 'admin' }),
        400,
        invalidRequest('body: Unrecognized key: "scope"'),
      ],
      [
        'another type',
        () => ({ ...valid(), type: 'user' }),
        400,
        invalidRequest('type: Invalid input: expected "project"'),
      ],
      [
        'no project secret',
        () => ({ type: 'project', projectId: world.fixture.projectId }),
        400,
        invalidRequest('projectSecret: Invalid input: expected string, received undefined'),
      ],
      ['a wrong secret', () => ({ ...valid(), projectSecret: wrongSecret() }), 401, INVALID_CLIENT],
      ['a malformed secret', () => ({ ...valid(), projectSecret: 'ps_short' }), 401, INVALID_CLIENT],
      [
        'an unknown secret id',
        () => ({ ...valid(), projectSecret: `ps_${'Z'.repeat(12)}_${'A'.repeat(32)}` }),
        401,
        INVALID_CLIENT,
      ],
      ['a revoked secret', () => ({ ...valid(), projectSecret: world.secrets.revoked }), 401, INVALID_CLIENT],
      ['an unknown project', () => ({ ...valid(), projectId: 'prj_doesnotexist000' }), 401, INVALID_CLIENT],
      [
        'a secret of another project',
        () => ({ ...valid(), projectSecret: world.secrets.sandbox }),
        401,
        INVALID_CLIENT,
      ],
      ['a project of another org', () => ({ ...valid(), projectId: world.otherOrg.projectId }), 401, INVALID_CLIENT],
      ['a secret of another org', () => ({ ...valid(), projectSecret: world.otherOrg.secret }), 401, INVALID_CLIENT],
      [
        'a tenant of another org',
        () => ({ ...valid(), tenantId: world.otherOrg.tenantId }),
        400,
        invalidRequest("tenantId: no tenant of this project's organization has this id or name"),
      ],
      [
        'an unknown tenant',
        () => ({ ...valid(), tenantId: 'nobody' }),
        400,
        invalidRequest("tenantId: no tenant of this project's organization has this id or name"),
      ],
      [
        'an org user with a secret that does not allow them',
        () => ({ ...valid(), orgUserId: world.fixture.adminEmail }),
        403,
        accessDenied('This project secret cannot mint org-user tokens; create one with --allow-org-users'),
      ],
      [
        'an unknown org user',
        () => ({ ...valid(), projectSecret: world.secrets.orgUsers, orgUserId: 'nobody@acme.test' }),
        400,
        invalidRequest("orgUserId: no active member of this project's organization has this id or email"),
      ],
      [
        'a member of another org',
        () => ({ ...valid(), projectSecret: world.secrets.orgUsers, orgUserId: 'bob@initech.test' }),
        400,
        invalidRequest("orgUserId: no active member of this project's organization has this id or email"),
      ],
      [
        'an org user and a tenant at once',
        () => ({ ...valid(), orgUserId: world.userId, tenantId: world.tenantId }),
        400,
        invalidRequest('orgUserId: a token acts as an org user or as a tenant user, not both'),
      ],
      [
        'an end user without a tenant',
        () => ({ ...valid(), endUserId: 'u-1' }),
        400,
        invalidRequest('endUserId: an end user needs a tenantId'),
      ],
      [
        'permissions above the ceiling',
        () => ({ ...valid(), tenantId: world.tenantId, permissions: 'data:read,sql:read' }),
        403,
        accessDenied(
          "permissions: sql:read exceed this project secret's ceiling (data:read,domains:read,saved_queries:read)",
        ),
      ],
      [
        'write permissions above a read ceiling',
        () => ({ ...valid(), tenantId: world.tenantId, permissions: 'write' }),
        403,
        accessDenied(
          "permissions: saved_queries:write+delete exceed this project secret's ceiling (data:read,domains:read,saved_queries:read)",
        ),
      ],
      [
        'the admin permission (object form)',
        () => ({ ...valid(), tenantId: world.tenantId, permissions: { data: ['read'], admin: true } }),
        400,
        invalidRequest('permissions: Unrecognized key: "admin"'),
      ],
      [
        'the admin permission (list form)',
        () => ({ ...valid(), tenantId: world.tenantId, permissions: 'admin' }),
        400,
        invalidRequest(
          'permissions: "admin" is not resource:action; expected read, write, or a list like data:read,sql:read,saved_queries:read+write+delete',
        ),
      ],
      [
        'an expiry of zero',
        () => ({ ...valid(), tenantId: world.tenantId, tokenExpiry: 0 }),
        400,
        invalidRequest('tokenExpiry: Too small: expected number to be >=1'),
      ],
      [
        'an expiry beyond a day',
        () => ({ ...valid(), tenantId: world.tenantId, tokenExpiry: 86_401 }),
        400,
        invalidRequest('tokenExpiry: expected at most 86400 seconds'),
      ],
      [
        'a fractional expiry',
        () => ({ ...valid(), tenantId: world.tenantId, tokenExpiry: 1.5 }),
        400,
        invalidRequest('tokenExpiry: Invalid input: expected int, received number'),
      ],
      [
        'domain access that names no domains',
        () => ({ ...valid(), tenantId: world.tenantId, semanticDomainAccess: { mode: 'include' } }),
        400,
        invalidRequest('semanticDomainAccess.domains: Invalid input: expected array, received undefined'),
      ],
    ]

    it.each(refusals)(
      'refuses %s, mints nothing and audits the attempt',
      async (_, body, status, expected, headers = {}) => {
        const issuedBefore = (await auditOf('token.issued')).length
        const failedBefore = (await auditOf('auth.failed')).length
        const res = await mintPost(body(), headers)
        expect(res.status).toBe(status)
        expect(res.headers.get('cache-control')).toBe('no-store')
        expect(res.headers.get('www-authenticate')).toBeNull()
        expect(await res.json()).toEqual(expected)

        expect((await auditOf('token.issued')).length).toBe(issuedBefore)
        const failed = await auditOf('auth.failed')
        expect(failed.length).toBe(failedBefore + 1)
        const record = failed[0]
        expect(record?.data).toMatchObject({ endpoint: 'token', via: 'http', user_agent: 'saas-backend/1.0' })
        // The secret part never reaches the audit log, whatever was sent.
        for (const secret of [...Object.values(world.secrets), world.otherOrg.secret]) {
          expect(JSON.stringify(record)).not.toContain(secret.slice(16))
        }
      },
    )

    it('audits a refusal by a holder of the secret in the project’s org, one without it in none', async () => {
      await mintPost({ ...valid(), tenantId: world.tenantId, permissions: 'sql:read' })
      expect((await auditOf('auth.failed'))[0]).toMatchObject({
        org_id: world.fixture.orgId,
        data: { reason: 'AUTHZ_DENIED', secret_id: world.secrets.tenant.slice(0, 15) },
      })
      await mintPost({ ...valid(), projectSecret: wrongSecret() })
      expect((await auditOf('auth.failed'))[0]).toMatchObject({
        org_id: null,
        data: { reason: 'CLIENT_INVALID', detail: expect.stringContaining('wrong secret') },
      })
    })
  })

  describe('revocation, rotation and expiry (SPEC §4.4, §7)', () => {
    const expectRevoked = async (token: string) => {
      const res = await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${token}` })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(challenge('Token is revoked or expired'))
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Token is revoked or expired' })
    }

    it('fails every token minted with a secret at once when the secret is revoked, though it was cached', async () => {
      const { secret, id } = await createSecret(store, world.fixture.orgId, world.fixture.projectId)
      const tokens = await Promise.all(
        ['u-1', 'u-2'].map((u) => mint({ projectSecret: secret, tenantId: world.tenantId, endUserId: u })),
      )
      for (const { accessToken } of tokens) expect((await call(accessToken, 'list_projects')).isError).toBeUndefined()
      await new ProjectSecretService(store, t.server.audit).revoke(world.fixture.orgId, id, 'test')
      for (const { accessToken } of tokens) await expectRevoked(accessToken)
      const res = await mintPost({ type: 'project', projectId: world.fixture.projectId, projectSecret: secret })
      expect(res.status).toBe(401)
    })

    it('fails tokens of a rotated secret at once; the new secret mints with the same settings', async () => {
      const { secret, id } = await createSecret(store, world.fixture.orgId, world.fixture.projectId, {
        max: 'data:read,domains:read,saved_queries:read,sql:read',
        allowOrgUsers: true,
      })
      const old = await mint({ projectSecret: secret, orgUserId: world.userId })
      await call(old.accessToken, 'list_projects')
      const rotated = await new ProjectSecretService(store, t.server.audit).rotate(null, id, 'test')
      expect(rotated.view).toMatchObject({ allowOrgUsers: true, maxPermissions: { sql: ['read'] } })
      await expectRevoked(old.accessToken)
      const fresh = await mint({ projectSecret: rotated.secret, orgUserId: world.userId, permissions: 'sql:read' })
      expect((await call(fresh.accessToken, 'get_access_context')).structuredContent).toMatchObject({
        permissions: { sql: ['read'] },
      })
      const records = await auditOf('secret.revoked')
      expect(records[0]?.data).toMatchObject({ secret_id: id, rotated_to: rotated.view.id })
    })

    it('refuses an expired token as revoked or expired', async () => {
      // Another instance's view of the same keys: tokens are signed by any instance and verified by any other.
      const keys = new SigningKeys(store.signingKeys, { issuer: PUBLIC_URL, audience: `${PUBLIC_URL}/mcp` })
      const minted = await new ProjectTokenMinter(store, keys, { record() {} }).mint(
        { type: 'project', projectId: world.fixture.projectId, projectSecret: world.secrets.tenant, tokenExpiry: 60 },
        { via: 'cli' },
        Date.now() - 3_600_000,
      )
      await expectRevoked(minted.accessToken)
    })

    it.each([
      ['a token of another typ (an OAuth access token)', 'at+jwt', `${PUBLIC_URL}/mcp`],
      ['a project token for another audience', 'gatehouse-project+jwt', 'https://other.example/mcp'],
    ])('refuses %s as an invalid token', async (_, typ, audience) => {
      await mint({ projectSecret: world.secrets.tenant })
      const [row] = await store.signingKeys.list()
      const key = await importJWK(JSON.parse(row?.private_jwk ?? '{}') as JWK, 'ES256')
      const claims = decodeJwt((await mint({ projectSecret: world.secrets.tenant })).accessToken)
      const forged = await new SignJWT({ ...claims, aud: audience })
        .setProtectedHeader({ alg: 'ES256', kid: row?.kid as string, typ })
        .sign(key)
      const res = await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${forged}` })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Invalid token' })
    })

    it('refuses a tampered token as an invalid token', async () => {
      const { accessToken } = await mint({ projectSecret: world.secrets.tenant, tenantId: world.tenantId })
      const [h, p, s] = accessToken.split('.') as [string, string, string]
      const payload = { ...decodeJwt(accessToken), project_id: world.sandboxId }
      const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`
      expect(p).not.toBe(tampered.split('.')[1])
      const res = await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${tampered}` })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(challenge('Invalid token'))
    })
  })

  it('publishes the signing keys at /.well-known/jwks.json: public parts only, cacheable for 5 minutes', async () => {
    const { accessToken } = await mint({ projectSecret: world.secrets.tenant })
    const res = await fetch(`${t.url}/.well-known/jwks.json`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] }
    expect(keys.map((k) => k.kid)).toContain(decodeProtectedHeader(accessToken).kid)
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
      expect(key).not.toHaveProperty('d')
    }
  })
})
