import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthorizationServer } from '../../auth/authorization-server/authorization-server.js'
import type { AccessTokenIntrospection } from '../../auth/authorization-server/access-token-introspection.js'
import type { ClientRegistrations } from '../../auth/authorization-server/client-registrations.js'
import { isThisResource } from '../../auth/authorization-server/resource-indicator.js'
import { DEFAULT_SCOPE } from '../../auth/authorization-server/scopes.js'
import type { ClientAddressResolver } from '../client-address.js'

export interface OAuthRouteOptions {
  readonly server: AuthorizationServer
  readonly introspection: AccessTokenIntrospection
  readonly registrations: ClientRegistrations
  readonly addresses: ClientAddressResolver
}

const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded']

/**
 * Routes the authorization server's endpoints (SPEC §3.4) to oidc-provider:
 * everything under `/oauth`, the discovery documents and `/register`. Before
 * the provider sees a request, Gatehouse applies what the provider does not
 * know: a missing `scope` becomes `mcp:read`, an equivalent spelling of the
 * MCP resource becomes the canonical one, and registrations pass the rate
 * limit and de-duplication of `ClientRegistrations`.
 */
export function oauthRoutes(options: OAuthRouteOptions): FastifyPluginAsync {
  return async (scope) => {
    // The provider parses bodies itself; Fastify hands it the bytes it read (within its body limit).
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

    const handle = (rewrite?: string) => async (req: FastifyRequest, reply: FastifyReply) => {
      const ip = options.addresses.resolve(req.raw.socket.remoteAddress, req.headers['x-forwarded-for']) ?? 'unknown'
      const userAgent = req.headers['user-agent']
      if (!options.addresses.isTrustedProxy(req.raw.socket.remoteAddress)) {
        // Only a configured proxy may say what the original scheme and host were.
        for (const header of FORWARDED_HEADERS) delete req.raw.headers[header]
      }
      let body = Buffer.isBuffer(req.body) ? req.body : undefined
      const path = rewrite ?? req.url.split('?')[0] ?? ''
      let url =
        rewrite === undefined ? req.url : rewrite + (req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '')
      if (path === '/oauth/authorize' && req.method === 'GET')
        url = normaliseAuthorizationQuery(url, options.server.resource)
      if ((path === '/oauth/token' || path === '/oauth/authorize') && body !== undefined && isForm(req)) {
        body = normaliseForm(body, options.server.resource, path === '/oauth/authorize')
      }

      if (path === '/oauth/introspect' && req.method === 'POST' && body !== undefined && isForm(req)) {
        const form = new URLSearchParams(body.toString('utf8'))
        const token = form.get('token')
        if (options.introspection.handles(token)) {
          const basic = basicClientId(req.headers.authorization)
          const answer = await options.introspection.introspect(token, basic ?? form.get('client_id'))
          return reply.header('cache-control', 'no-store').send(answer)
        }
      }

      let fingerprint: string | undefined
      if (path === '/oauth/register' && req.method === 'POST') {
        const decision = await options.registrations.admit(ip, body)
        if (decision.kind === 'refused') {
          return reply
            .code(decision.status)
            .header('cache-control', 'no-store')
            .headers(decision.retryAfterS === undefined ? {} : { 'retry-after': String(decision.retryAfterS) })
            .send({ error: decision.error, error_description: decision.description })
        }
        if (decision.kind === 'existing') {
          return reply.code(201).header('cache-control', 'no-store').send(decision.registration)
        }
        fingerprint = decision.fingerprint
      }

      req.raw.url = url
      if (body !== undefined) (req.raw as { body?: Buffer }).body = body
      reply.hijack()
      const context = {
        ip,
        ...(userAgent !== undefined && { userAgent }),
        ...(fingerprint !== undefined && { registrationFingerprint: fingerprint }),
      }
      await options.server.handle(req.raw, reply.raw, context)
    }

    scope.all('/oauth/*', handle())
    scope.get('/.well-known/openid-configuration', handle())
    // RFC 8414 §3: for an issuer without a path, the same document under its own name.
    scope.get('/.well-known/oauth-authorization-server', handle('/.well-known/openid-configuration'))
    scope.route({ method: ['POST', 'OPTIONS'], url: '/register', handler: handle('/oauth/register') })
  }
}

/** The client id of an HTTP Basic client authentication (RFC 6749 §2.3.1: form-encoded, then base64). */
function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '')
  if (match === null) return undefined
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
}

function isForm(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
}

function normaliseParams(params: URLSearchParams, resource: string, defaultScope: boolean): void {
  const given = params.getAll('resource')
  // RFC 8707 allows several; only this server's resource is served, and equivalent spellings mean it.
  if (given.length > 0 && given.every((r) => isThisResource(r, resource))) params.set('resource', resource)
  if (defaultScope && !params.has('scope')) params.set('scope', DEFAULT_SCOPE)
}

function normaliseAuthorizationQuery(url: string, resource: string): string {
  const question = url.indexOf('?')
  if (question === -1) return url
  const params = new URLSearchParams(url.slice(question + 1))
  normaliseParams(params, resource, true)
  return `${url.slice(0, question)}?${params.toString()}`
}

function normaliseForm(body: Buffer, resource: string, defaultScope: boolean): Buffer {
  const params = new URLSearchParams(body.toString('utf8'))
  normaliseParams(params, resource, defaultScope)
  return Buffer.from(params.toString(), 'utf8')
}
