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

export interface Tokens {
  readonly clientId: string
  readonly accessToken: string
  readonly refreshToken: string
  readonly grantId: string
  readonly body: Record<string, unknown>
}

/** Registers a public client and runs the whole code flow as the world's user; the tokens it ends with. */
export async function obtainTokens(
  world: OAuthWorld,
  options: { scope?: string; clientId?: string; redirectUri?: string; extra?: Record<string, string> } = {},
): Promise<Tokens> {
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:40111/callback'
  const clientId = options.clientId ?? String((await registerPublicClient(world.base)).body.client_id)
  const { url, verifier } = authorizeUrl(world.base, {
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: options.scope,
    ...options.extra,
  })
  const { authorizeWithForms, tokenRequest } = await import('./oauth-driver.js')
  const { location } = await authorizeWithForms(world.base, url, { email: world.email, password: PASSWORD })
  const code = new URL(location).searchParams.get('code')
  if (code === null) throw new Error(`no code in ${location}`)
  const token = await tokenRequest(world.base, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: clientId,
    code_verifier: verifier,
  })
  if (token.status !== 200) throw new Error(`token endpoint answered ${token.status}: ${JSON.stringify(token.body)}`)
  const accessToken = String(token.body.access_token)
  const { decodeJwt } = await import('jose')
  return {
    clientId,
    accessToken,
    refreshToken: String(token.body.refresh_token),
    grantId: String(decodeJwt(accessToken).grant_id),
    body: token.body,
  }
}

export function refresh(world: OAuthWorld, clientId: string, refreshToken: string, extra: Record<string, string> = {}) {
  return import('./oauth-driver.js').then(({ tokenRequest }) =>
    tokenRequest(world.base, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
      ...extra,
    }),
  )
}
