import { hashPassword } from '../../src/auth/passwords/password-hash.js'
import type { ServerOptions } from '../../src/http/gatehouse-server.js'
import { startTestServer } from './test-server.js'
import type { TestServer } from './test-server.js'
import { freePort, pkcePair } from './oauth-driver.js'

export const PASSWORD = 'correct horse battery staple'

export interface OAuthWorld {
  readonly test: TestServer
  readonly base: string
  readonly resource: string
  readonly orgId: string
  readonly otherOrgId: string
  readonly projectId: string
  readonly userId: string
  readonly email: string
  close(): Promise<void>
}

let passwordHash: Promise<string> | undefined

/**
 * A server whose `public_url` is its real address, with a user (password
 * sign-in) who belongs to one org with a project, and a second org the user
 * is not a member of.
 */
export async function startOAuthWorld(
  raw: Record<string, unknown> = {},
  options: Partial<ServerOptions> & { storeUrl?: string } = {},
): Promise<OAuthWorld> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { server: serverSection, ...rest } = raw as { server?: Record<string, unknown> }
  const test = await startTestServer({ ...rest, server: { port, public_url: base, ...serverSection } }, options)
  const store = test.server.store
  const org = await store.orgs.create('acme')
  const other = await store.orgs.create('globex')
  await store.projects.create(other.id, 'secret-plans')
  const project = await store.projects.create(org.id, 'analytics')
  passwordHash ??= hashPassword(PASSWORD)
  const email = 'ada@acme.test'
  const member = await store.users.createMember(org.id, { email, role: 'member', passwordHash: await passwordHash })
  return {
    test,
    base,
    resource: `${base}/mcp`,
    orgId: org.id,
    otherOrgId: other.id,
    projectId: project.id,
    userId: member.userId,
    email,
    close: () => test.close(),
  }
}

export async function registerPublicClient(
  base: string,
  metadata: Record<string, unknown> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Test Client',
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...metadata,
    }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

export function authorizeUrl(
  base: string,
  params: Record<string, string | undefined>,
): { url: string; verifier: string; state: string } {
  const { verifier, challenge } = pkcePair()
  const state = `st-${Math.random().toString(36).slice(2)}`
  const query = new URLSearchParams()
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    ...params,
  }
  for (const [k, v] of Object.entries(all)) if (v !== undefined) query.set(k, v)
  return { url: `${base}/oauth/authorize?${query.toString()}`, verifier, state }
}
