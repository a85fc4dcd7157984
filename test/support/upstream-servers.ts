import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'

/** Gatehouse's client at the OpenID provider below, and at the GitHub below. */
export const OIDC_CLIENT = { id: 'gatehouse', secret: 'upstream-client-secret' } as const
export const GITHUB_CLIENT = { id: 'gh-client', secret: 'gh-secret' } as const

export async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function close(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** One request as the upstream saw it: the query, and the form body of a POST. */
export interface SeenRequest {
  readonly path: string
  readonly query: Readonly<Record<string, unknown>>
  readonly body: Readonly<Record<string, unknown>>
}

export function seenParameterNames(seen: readonly SeenRequest[]): string[] {
  return [...new Set(seen.flatMap((r) => [...Object.keys(r.query), ...Object.keys(r.body)]))].sort()
}

// ---------------------------------------------------------------------------------------------
// A real OpenID provider (oidc-provider, the certified library) standing in for Keycloak: a
// static confidential client, its own login and consent answered by a tiny interaction handler.
// ---------------------------------------------------------------------------------------------

export interface TestAccount {
  readonly sub: string
  readonly claims: Readonly<Record<string, unknown>>
}

export const ADA: TestAccount = {
  sub: 'kc-7f3a9c',
  claims: {
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Lovelace',
    groups: ['analysts', 'engineering'],
    department: 'R&D',
    realm_access: { roles: ['offline_access', 'gatehouse-admin'] },
  },
}

/** The `claims` mapping of a provider config that reads ADA's claims. */
export const CORP_CLAIMS = {
  groups: 'groups',
  attributes: { department: 'department' },
  role: { from: 'realm_access.roles', map: { 'gatehouse-admin': 'admin', 'gatehouse-member': 'member' } },
}

export interface OidcUpstream {
  readonly issuer: string
  readonly seen: SeenRequest[]
  /** Who signs in at the provider's login prompt. */
  account: TestAccount
  close(): Promise<void>
}

export interface OidcUpstreamOptions {
  /** The redirect URIs registered for Gatehouse's client (the callbacks of each provider id used). */
  readonly redirectUris: readonly string[]
  /** Default: any free port. */
  readonly port?: number
}

export async function startOidcUpstream(options: OidcUpstreamOptions): Promise<OidcUpstream> {
  const server = createServer()
  const issuer = await listen(server, options.port)
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const upstream: OidcUpstream = { issuer, seen: [], account: ADA, close: () => close(server) }
  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT.id,
        client_secret: OIDC_CLIENT.secret,
        redirect_uris: [...options.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: false } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Scope claims go to userinfo, not the ID token (oidc-provider conforms to OIDC Core §5.4), as Keycloak may.
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'groups', 'department', 'realm_access'],
    },
    findAccount: (_ctx, sub) =>
      sub === upstream.account.sub
        ? { accountId: sub, claims: () => ({ sub, ...upstream.account.claims }) }
        : undefined,
  })
  oidc.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next()
    const body = (ctx.oidc as { body?: Record<string, unknown> } | undefined)?.body ?? {}
    upstream.seen.push({ path: ctx.path, query: { ...ctx.query }, body: { ...body } })
  })
  const handle = oidc.callback()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    } else void handle(req, res)
  })

  // The person at the keyboard: signs in as the current account and approves what is asked.
  async function interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await oidc.interactionDetails(req, res)
    upstream.seen.push({ path: '/interaction', query: { ...details.params }, body: {} })
    if (details.prompt.name === 'login') {
      await oidc.interactionFinished(req, res, { login: { accountId: upstream.account.sub } })
      return
    }
    const grant = new oidc.Grant({ accountId: details.session?.accountId, clientId: String(details.params.client_id) })
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] }
    if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims)
    const grantId = await grant.save()
    await oidc.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }
  return upstream
}

// ---------------------------------------------------------------------------------------------
// GitHub, as its documentation describes it: OAuth 2.0 without discovery or ID token, the token
// endpoint answering JSON only when asked, the user and emails from the REST API.
// ---------------------------------------------------------------------------------------------

export interface GithubUpstream {
  readonly url: string
  readonly seen: SeenRequest[]
  user: Record<string, unknown>
  emails: readonly Record<string, unknown>[]
  failTokens: boolean
  close(): Promise<void>
}

export const OCTOCAT = { id: 583231, login: 'octocat', name: 'The Octocat', email: null }
export const OCTOCAT_EMAILS = [
  { email: 'octocat@users.noreply.github.com', primary: false, verified: true, visibility: null },
  { email: 'octocat@github.com', primary: true, verified: true, visibility: 'public' },
]

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
}

export async function startGithubUpstream(): Promise<GithubUpstream> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>()
  const accessToken = `gho_${randomBytes(16).toString('hex')}`
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  const url = await listen(server)
  const github: GithubUpstream = {
    url,
    seen: [],
    user: OCTOCAT,
    emails: OCTOCAT_EMAILS,
    failTokens: false,
    close: () => close(server),
  }

  function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(body))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = new URL(req.url ?? '/', url)
    const body = req.method === 'POST' ? await readForm(req) : {}
    github.seen.push({ path: request.pathname, query: Object.fromEntries(request.searchParams), body })
    if (request.pathname === '/login/oauth/authorize') {
      // GitHub asks the user, then sends the browser back with a one-time code and the state.
      const code = randomBytes(10).toString('hex')
      const q = request.searchParams
      codes.set(code, { challenge: q.get('code_challenge') ?? '', redirectUri: q.get('redirect_uri') ?? '' })
      const back = new URL(q.get('redirect_uri') ?? '')
      back.search = new URLSearchParams({ code, state: q.get('state') ?? '' }).toString()
      res.writeHead(302, { location: back.href })
      res.end()
      return
    }
    if (request.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const issued = codes.get(body.code ?? '')
      codes.delete(body.code ?? '')
      const verifier = createHash('sha256')
        .update(body.code_verifier ?? '')
        .digest('base64url')
      const valid =
        !github.failTokens &&
        issued !== undefined &&
        issued.challenge === verifier &&
        issued.redirectUri === body.redirect_uri &&
        body.client_id === GITHUB_CLIENT.id &&
        body.client_secret === GITHUB_CLIENT.secret
      // GitHub answers errors with 200 too, and form-encoded unless JSON is asked for.
      const answer: Record<string, string> = valid
        ? { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' }
        : { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }
      if (req.headers.accept?.includes('application/json')) json(res, 200, answer)
      else {
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
        res.end(new URLSearchParams(answer).toString())
      }
      return
    }
    if (req.headers.authorization !== `Bearer ${accessToken}`) {
      json(res, 401, { message: 'Bad credentials' })
      return
    }
    if (request.pathname === '/user') json(res, 200, github.user)
    else if (request.pathname === '/user/emails') json(res, 200, github.emails)
    else json(res, 404, { message: 'Not Found' })
  }
  return github
}
