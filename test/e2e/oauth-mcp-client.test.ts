import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client'
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client'
import type { Browser, Page } from 'playwright-core'
import { ConnectedApps } from '../../src/auth/authorization-server/connected-apps.js'
import { launchBrowser } from '../support/browser.js'
import { PASSWORD, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { startHttpsServer, testCa } from '../support/test-ca.js'
import type { HttpsDocServer } from '../support/test-ca.js'

/** A loopback redirect URI that catches the authorization response, as desktop MCP clients run one. */
async function startCallbackServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.'),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { url: `http://localhost:${port}/callback`, server }
}

/** The client side of the official SDK's OAuth flow: it keeps what the SDK asks it to, in memory. */
class TestOAuthProvider implements OAuthClientProvider {
  readonly redirectUrl: string
  readonly clientMetadataUrl?: string
  readonly #metadata: OAuthClientMetadata
  #client: StoredOAuthClientInformation | undefined
  #tokens: StoredOAuthTokens | undefined
  #verifier = ''
  authorizationUrl: URL | undefined

  constructor(
    redirectUrl: string,
    metadata: OAuthClientMetadata,
    options: { clientMetadataUrl?: string; client?: StoredOAuthClientInformation } = {},
  ) {
    this.redirectUrl = redirectUrl
    this.#metadata = metadata
    if (options.clientMetadataUrl !== undefined) this.clientMetadataUrl = options.clientMetadataUrl
    this.#client = options.client
  }

  get clientMetadata(): OAuthClientMetadata {
    return this.#metadata
  }
  clientInformation() {
    return this.#client
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.#client = info
  }
  tokens() {
    return this.#tokens
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.#tokens = tokens
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier
  }
  codeVerifier() {
    return this.#verifier
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined
  }
}

/** Signs in and approves in Chromium, as a person would; returns the authorization response the client received. */
async function approveInBrowser(page: Page, authorizationUrl: URL, callback: string): Promise<URLSearchParams> {
  await page.goto(authorizationUrl.toString())
  if (new URL(page.url()).pathname.startsWith('/login/')) {
    await page.getByLabel('Email').fill('ada@acme.test')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await page.waitForURL((url) => url.pathname.startsWith('/consent/'))
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Connect')
  await page.getByRole('button', { name: 'Approve' }).click()
  await page.waitForURL((url) => url.toString().startsWith(callback))
  return new URL(page.url()).searchParams
}

interface Variant {
  readonly name: string
  readonly provider: (callback: string, world: OAuthWorld, docs: HttpsDocServer) => TestOAuthProvider
  readonly registers: boolean
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'Dynamic Client Registration',
    registers: true,
    provider: (callback) =>
      new TestOAuthProvider(callback, {
        client_name: 'E2E DCR Client',
        redirect_uris: [callback],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
  },
  {
    name: 'a Client ID Metadata Document over https',
    registers: false,
    provider: (callback, _world, docs) =>
      new TestOAuthProvider(
        callback,
        { client_name: 'E2E CIMD Client', redirect_uris: [callback], token_endpoint_auth_method: 'none' },
        { clientMetadataUrl: `${docs.origin}/mcp-client.json` },
      ),
  },
  {
    name: 'a static confidential client',
    registers: false,
    provider: (callback) =>
      new TestOAuthProvider(
        callback,
        {
          client_name: 'E2E Static Client',
          redirect_uris: [callback],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        { client: { client_id: 'e2e-static', client_secret: 'e2e-static-secret' } },
      ),
  },
]

/**
 * The whole flow with the official MCP client SDK against a live server:
 * 401 → resource metadata → AS metadata → registration (or metadata document,
 * or static client) → login and consent in Chromium → token → tools/call →
 * refresh → disconnect → 401 → re-authorization.
 */
describe.each(VARIANTS)('MCP client OAuth with $name', (variant) => {
  let world: OAuthWorld
  let browser: Browser
  let docs: HttpsDocServer
  let callback: { url: string; server: Server }

  beforeAll(async () => {
    callback = await startCallbackServer()
    docs = await startHttpsServer((req, res) => {
      // The document lists the loopback redirect URI without a port (RFC 8252 §7.3: any port matches).
      const body = {
        client_id: `${docs.origin}/mcp-client.json`,
        client_name: 'E2E CIMD Client',
        redirect_uris: ['http://localhost/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }
      if (req.url === '/mcp-client.json')
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      else res.writeHead(404).end()
    })
    world = await startOAuthWorld({
      auth: {
        access_token_ttl: 1,
        client_metadata_allowed_networks: ['127.0.0.1/32'],
        client_metadata_ca: testCa().caPem,
        clients: [
          {
            client_id: 'e2e-static',
            client_secret: 'e2e-static-secret',
            name: 'E2E Static Client',
            redirect_uris: [callback.url.replace(/:\d+\//, '/')],
          },
        ],
      },
    })
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await world?.close()
    await docs?.close()
    await new Promise((resolve) => callback?.server.close(resolve))
  })

  it('authorizes, calls a tool, refreshes, is disconnected, and re-authorizes', async () => {
    const provider = variant.provider(callback.url, world, docs)
    const mcpUrl = new URL(world.resource)
    const page = await (await browser.newContext()).newPage()

    const connect = async () => {
      const client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' })
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })
      try {
        await client.connect(transport)
        return client
      } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error
        expect(provider.authorizationUrl).toBeDefined()
        const response = await approveInBrowser(page, provider.authorizationUrl as URL, callback.url)
        expect(response.get('iss')).toBe(world.base)
        await transport.finishAuth(response)
        await client.close().catch(() => undefined)
        const again = new Client({ name: 'gatehouse-e2e', version: '1.0.0' })
        await again.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }))
        return again
      }
    }
    const context = async (client: Client) => {
      const result = await client.callTool({ name: 'get_access_context', arguments: {} })
      expect(result.isError).not.toBe(true)
      return JSON.stringify(result.structuredContent ?? result.content)
    }

    // 1. First connection: the whole authorization.
    const client = await connect()
    expect(await context(client)).toContain(world.orgId)
    const firstTokens = provider.tokens()
    expect(firstTokens?.refresh_token).toBeDefined()
    // Only the DCR client registered; a metadata-document or static client needs no registration.
    const registered = await world.test.server.store.oauth.listClients()
    expect(registered.filter((c) => c.origin === 'dynamic')).toHaveLength(variant.registers ? 1 : 0)
    expect(provider.clientInformation()?.client_id).toBe(
      variant.registers
        ? registered[0]?.client_id
        : variant.name.includes('Metadata')
          ? `${docs.origin}/mcp-client.json`
          : 'e2e-static',
    )

    // 2. The access token (1 s, plus the 5 s clock tolerance) expires: the SDK refreshes by itself, and the refresh token rotates.
    await new Promise((resolve) => setTimeout(resolve, 7000))
    expect(await context(client)).toContain(world.orgId)
    expect(provider.tokens()?.refresh_token).not.toBe(firstTokens?.refresh_token)
    await client.close()

    // 3. The user's admin disconnects the app: the next call is refused, refresh fails, the SDK asks for authorization.
    const apps = new ConnectedApps(world.test.server.store, { record() {} })
    const [app] = (await apps.list(world.orgId, world.userId)).filter((a) => a.status === 'connected')
    expect(app).toBeDefined()
    await apps.disconnect({ orgId: world.orgId }, app?.id ?? '', 'e2e')
    provider.authorizationUrl = undefined
    const reconnected = await connect()
    expect(provider.authorizationUrl).toBeDefined()
    expect(await context(reconnected)).toContain(world.orgId)
    await reconnected.close()
    const live = (await apps.list(world.orgId, world.userId)).filter((a) => a.status === 'connected')
    expect(live).toHaveLength(1)
    expect(live[0]?.id).not.toBe(app?.id)
  }, 90_000)
})
