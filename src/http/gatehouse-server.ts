import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { LogController, fastify } from 'fastify'
import type { Logger } from 'pino'
import type { GatehouseConfig } from '../config/config-schema.js'
import type { Principal } from '../domain/principal.js'
import type { AuditSink } from '../domain/audit-sink.js'
import { Store } from '../store/store.js'
import { AuditWriter } from '../audit/audit-writer.js'
import { purgeAudit } from '../audit/audit-retention.js'
import { CredentialCache } from '../auth/credential-cache.js'
import { StoreChangeWatcher } from '../store/change-watcher.js'
import { ProjectCatalog } from '../store/project-catalog.js'
import { DataPlane } from '../data/data-plane.js'
import { LastUsedTracker } from '../auth/api-keys/last-used-tracker.js'
import { ApiKeyVerifier } from '../auth/api-keys/api-key-verifier.js'
import { Authenticator } from '../auth/authenticator.js'
import type { TokenVerifier } from '../auth/authenticator.js'
import { SigningKeys } from '../auth/tokens/signing-keys.js'
import { TOKEN_TYPES } from '../auth/tokens/token-types.js'
import { ProjectTokenVerifier } from '../auth/project-tokens/project-token-verifier.js'
import { ProjectTokenMinter } from '../auth/project-tokens/project-token-minter.js'
import { ToolRunner } from '../mcp/tool-runner.js'
import { McpEndpoint } from '../mcp/mcp-endpoint.js'
import { CustomTools } from '../mcp/custom-tools.js'
import { BUILTIN_TOOLS } from '../mcp/tools/core-tools.js'
import type { ToolDefinition } from '../mcp/tool-definition.js'
import { ClientAddressResolver } from './client-address.js'
import { createMcpHandler } from './mcp-handler.js'
import { Metrics } from './metrics.js'
import { protectedResourceMetadata, resourceMetadataUrl } from './protected-resource-metadata.js'
import { tokenRoutes } from './routes/token-routes.js'
import { jwksRoute } from './routes/jwks-route.js'
import { adminRoutes } from './routes/admin-routes.js'
import { oauthRoutes } from './routes/oauth-routes.js'
import { interactionRoutes } from './routes/interaction-routes.js'
import { AuthorizationServer } from '../auth/authorization-server/authorization-server.js'
import { AccessTokenVerifier } from '../auth/authorization-server/access-token-verifier.js'
import { AccessTokenIntrospection } from '../auth/authorization-server/access-token-introspection.js'
import { ClientRegistrations } from '../auth/authorization-server/client-registrations.js'
import type { ClientRegistrationOptions } from '../auth/authorization-server/client-registrations.js'
import { Interactions } from '../auth/authorization-server/interactions.js'
import { LocalLogin } from '../auth/passwords/local-login.js'
import { AccountSessions } from '../auth/account-session.js'
import { ConnectedApps } from '../auth/authorization-server/connected-apps.js'
import { accountRoutes } from './routes/account-routes.js'
import { LoginThrottle } from '../auth/passwords/login-throttle.js'
import type { LoginThrottleOptions } from '../auth/passwords/login-throttle.js'
import { UpstreamSignIn } from '../auth/upstream/upstream-sign-in.js'
import { ExternalTokenVault } from '../auth/upstream/external-token-vault.js'
import { TokenSealer } from '../auth/upstream/token-sealer.js'
import { upstreamLoginRoutes } from './routes/upstream-login-routes.js'

export interface ServerOptions {
  readonly logger: Logger
  /** Polling interval of the revocation counter; the bound of SPEC §7 needs it well under 1 s. */
  readonly revocationPollMs?: number
  /** Benchmarks only: every /mcp request acts as this principal without authentication. */
  readonly insecureFixedPrincipal?: Principal
  /** Benchmarks only: send every message through the SDK, no fast path. */
  readonly disableFastPath?: boolean
  /** Benchmarks only: record nothing in the audit log (to measure what audit costs). */
  readonly insecureNoAudit?: boolean
  /** Where `${VAR}` in connection URLs is resolved (default: the process environment). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The tools served (default: the core tools); tests add tools with other permissions. */
  readonly tools?: readonly ToolDefinition[]
  /** Dynamic Client Registration limits (tests lower them). */
  readonly registration?: ClientRegistrationOptions
  /** Password sign-in throttling (tests lower it). */
  readonly loginThrottle?: LoginThrottleOptions
}

export interface RunningServer extends AsyncDisposable {
  /** `http://host:port` actually bound (the port may have been 0). */
  readonly url: string
  readonly store: Store
  readonly audit: AuditWriter
  readonly authenticator: Authenticator
  close(): Promise<void>
}

/**
 * The composition root of a server process: opens the store, wires
 * authentication, the MCP endpoint and the audit writer, and serves HTTP.
 * `/mcp` is answered by a plain node handler (the hot path); every other route
 * goes through Fastify. `close()` stops accepting, lets requests finish, then
 * closes in reverse order and flushes the audit log.
 */
export async function startServer(config: GatehouseConfig, options: ServerOptions): Promise<RunningServer> {
  const { logger } = options
  // What is opened is closed in reverse order, on shutdown and when the start itself fails.
  const closers: (() => Promise<unknown>)[] = []
  const closeAll = async () => {
    for (const closeOne of closers.reverse()) {
      await closeOne().catch((error: unknown) => logger.error({ err: error }, 'a resource failed to close'))
    }
  }
  try {
    const store = Store.open(config.store.url)
    closers.push(() => store.close())
    await store.migrate()

    const audit = new AuditWriter(store, {
      batchSize: config.audit.batch_size,
      flushIntervalMs: config.audit.flush_interval_ms,
      onError: (error) => logger.error({ err: error }, 'audit records could not be written; they stay queued'),
    })
    closers.push(() => audit.close())
    const sink: AuditSink = options.insecureNoAudit === true ? { record() {} } : audit
    const metrics = new Metrics()
    const cache = new CredentialCache()
    const lastUsed = new LastUsedTracker(store)
    closers.push(() => lastUsed.close())
    const publicUrl = config.server.public_url
    const signingKeys = new SigningKeys(store.signingKeys, { issuer: publicUrl, audience: `${publicUrl}/mcp` })
    const accessTokens = new AccessTokenVerifier(store, signingKeys)
    const authenticator = new Authenticator(
      cache,
      new ApiKeyVerifier(store, lastUsed, sink),
      new Map<string, TokenVerifier>([
        [TOKEN_TYPES.project, new ProjectTokenVerifier(store, signingKeys)],
        [TOKEN_TYPES.access, accessTokens],
      ]),
    )
    const catalog = new ProjectCatalog(store)
    const limits = { maxRows: config.limits.max_rows, statementTimeoutMs: config.limits.statement_timeout_ms }
    const data = new DataPlane(store, { env: options.env ?? process.env, ...limits })
    closers.push(() => data.close())
    const watcher = new StoreChangeWatcher(
      store,
      {
        credentials: () => cache.clear(),
        catalog: () => {
          catalog.clear()
          data.clear()
        },
      },
      options.revocationPollMs ?? 250,
    )
    closers.push(() => watcher.close())
    await watcher.poll()

    const externalTokens = new ExternalTokenVault(
      store.userIdentities,
      new TokenSealer(await store.serverSecrets.get('upstream_token_key')),
    )
    const runner = new ToolRunner({ store, catalog, data, limits, externalTokens }, sink, metrics)
    const endpoint = await McpEndpoint.create(options.tools ?? BUILTIN_TOOLS, runner, {
      fastPath: options.disableFastPath !== true,
      customTools: new CustomTools(data),
    })
    closers.push(() => endpoint.close())
    const addresses = new ClientAddressResolver(config.server.trust_proxy === false ? false : config.server.trust_proxy)
    const mcpHandler = createMcpHandler({
      endpoint,
      authenticator,
      audit: sink,
      metrics,
      addresses,
      resourceMetadataUrl: resourceMetadataUrl(publicUrl),
      allowedOrigins: config.server.allowed_origins,
      maxBodyBytes: config.server.max_body_bytes,
      sqlRequestHeaders: config.server.sql_request_headers,
      ...(options.insecureFixedPrincipal !== undefined && { insecureFixedPrincipal: options.insecureFixedPrincipal }),
    })

    const app = fastify({
      loggerInstance: logger,
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: config.server.max_body_bytes,
      forceCloseConnections: 'idle',
      serverFactory: (fastifyHandler) => {
        const route = (req: IncomingMessage, res: ServerResponse) => {
          const url = req.url ?? '/'
          if (url === '/mcp' || url.startsWith('/mcp?') || url === '/mcp/') mcpHandler(req, res)
          else fastifyHandler(req, res)
        }
        const tls = config.server.tls
        return (
          tls === undefined ? createHttpServer(route) : createHttpsServer({ cert: tls.cert, key: tls.key }, route)
        ) as Server
      },
    })
    // Closed first: stop accepting and let requests in flight finish before anything they use goes away.
    closers.push(() => app.close())
    // Runs right after the HTTP server closed (closers run in reverse): records those requests started are written.
    const appCloser = closers.length - 1

    const metadata = protectedResourceMetadata(publicUrl)
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      app.get(path, async (_req, reply) => reply.header('cache-control', 'public, max-age=3600').send(metadata))
    }
    await app.register(
      adminRoutes({ store, audit: sink, authenticator, resourceMetadataUrl: resourceMetadataUrl(publicUrl) }),
    )
    await app.register(jwksRoute(signingKeys))
    const authorizationServer = await AuthorizationServer.create({
      store,
      signingKeys,
      auth: config.auth,
      publicUrl,
      audit: sink,
      logger,
    })
    closers.splice(appCloser, 0, () => authorizationServer.close())
    const registrations = new ClientRegistrations(store.oauth, options.registration)
    await app.register(
      oauthRoutes({
        server: authorizationServer,
        registrations,
        addresses,
        introspection: new AccessTokenIntrospection(accessTokens),
      }),
    )
    const pageKey = await store.serverSecrets.get('page_key')
    const interactions = new Interactions(authorizationServer, store, sink, pageKey)
    const localLogin = new LocalLogin(store, sink, new LoginThrottle(options.loginThrottle))
    const sessions = new AccountSessions(pageKey)
    const secureCookies = publicUrl.startsWith('https:')
    const providers = config.auth.providers
    const upstream =
      providers.length === 0
        ? undefined
        : new UpstreamSignIn(providers, {
            store,
            tokens: externalTokens,
            audit: sink,
            callbackUrl: (id) => `${publicUrl}/login/${id}/callback`,
          })
    await app.register(
      interactionRoutes({
        interactions,
        localLogin,
        store,
        audit: sink,
        addresses,
        localLoginEnabled: config.auth.local_login,
        providers: upstream?.providers ?? [],
        sessions,
        secureCookies,
      }),
    )
    if (upstream !== undefined) {
      await app.register(upstreamLoginRoutes({ upstream, interactions, addresses, sessions, secureCookies }))
    }
    await app.register(
      accountRoutes({ sessions, apps: new ConnectedApps(store, sink), localLogin, store, addresses, secureCookies }),
    )
    // Unused dynamic clients, expired authorization-server objects and abandoned upstream sign-ins are swept hourly.
    const sweep = () =>
      Promise.all([
        registrations.reap(),
        store.oauth.purgeExpired(Date.now()),
        store.upstreamLogins.purgeExpired(Date.now()),
      ]).catch((error: unknown) => logger.error({ err: error }, 'sweeping OAuth clients and objects failed'))
    void sweep()
    const sweepTimer = setInterval(() => void sweep(), 3_600_000)
    sweepTimer.unref()
    closers.push(async () => clearInterval(sweepTimer))
    const minter = new ProjectTokenMinter(store, signingKeys, sink)
    await app.register(tokenRoutes({ minter, addresses, maxBodyBytes: config.server.max_body_bytes }))
    app.get('/healthz', async () => ({ status: 'ok' }))
    app.get('/readyz', async (_req, reply) => {
      let storeOk = true
      try {
        await store.ping()
      } catch (error) {
        storeOk = false
        logger.warn({ err: error }, 'readiness check failed: the store is unreachable')
      }
      // Engines opened so far, and connections that failed to open (e.g. a role that could bypass RLS).
      const engines = await data.health()
      const ready = storeOk && engines.every((e) => e.status === 'ok')
      if (!ready) logger.warn({ engines: engines.filter((e) => e.status !== 'ok') }, 'readiness check failed')
      const body = {
        status: ready ? 'ready' : 'unavailable',
        checks: { store: storeOk ? 'ok' : 'unreachable', engines },
      }
      return ready ? body : reply.code(503).send(body)
    })
    app.get('/metrics', async (_req, reply) =>
      reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
    )

    // Retention (SPEC §8): once at start, then daily; each purge leaves checkpoints so `audit verify` still passes.
    const purge = () =>
      purgeAudit(store, audit, { retentionDays: config.audit.retention_days }).then(
        (report) => report.chains.length > 0 && logger.info({ chains: report.chains.length }, 'audit retention purge'),
        (error: unknown) => logger.error({ err: error }, 'audit retention purge failed'),
      )
    let purging = purge()
    const purgeTimer = setInterval(() => (purging = purge()), 86_400_000)
    purgeTimer.unref()
    closers.push(async () => {
      clearInterval(purgeTimer)
      await purging
    })

    await app.listen({ host: config.server.host, port: config.server.port })
    const address = app.server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    const url = `${config.server.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`

    let closing: Promise<void> | undefined
    const close = () => (closing ??= closeAll())
    return { url, store, audit, authenticator, close, [Symbol.asyncDispose]: close }
  } catch (error) {
    await closeAll()
    throw error
  }
}
