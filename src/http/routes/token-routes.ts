import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { GatehouseError, InputError, isGatehouseError } from '../../domain/errors.js'
import type { ProjectTokenMinter, MintContext } from '../../auth/project-tokens/project-token-minter.js'
import type { ClientAddressResolver } from '../client-address.js'
import { httpErrorResponse } from '../error-response.js'

export interface TokenRouteOptions {
  readonly minter: ProjectTokenMinter
  readonly addresses: ClientAddressResolver
  readonly maxBodyBytes: number
}

/**
 * `POST /api/v1/token` (SPEC §4.3): project token minting. The body is read as
 * text and parsed by the minter, so malformed JSON is refused and audited like
 * every other refusal. Answers are never cached (RFC 6749 §5.1).
 */
export function tokenRoutes(options: TokenRouteOptions): FastifyPluginAsync {
  return async (scope) => {
    scope.removeContentTypeParser('application/json')
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body))

    // Refusals Fastify makes before the handler runs (media type, body size) get the same JSON shape and audit.
    scope.setErrorHandler(async (error: { code?: string; statusCode?: number }, req, reply) => {
      if (isGatehouseError(error)) return sendError(reply, error)
      const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500
      if (status === 500) return sendError(reply, new GatehouseError('INTERNAL', 'token request failed'))
      const description =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Content-Type must be application/json'
          : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? `The request body is larger than ${options.maxBodyBytes} bytes`
            : 'Malformed request'
      options.minter.refused(new InputError(description), context(req, options))
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .send({ error: 'invalid_request', error_description: description })
    })

    scope.post('/api/v1/token', async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : ''
      const minted = await options.minter.mintJson(body, context(req, options))
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(minted)
    })
  }
}

function context(req: FastifyRequest, options: TokenRouteOptions): MintContext {
  const ip = options.addresses.resolve(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'])
  const userAgent = req.headers['user-agent']
  return { via: 'http', ...(ip !== undefined && { ip }), ...(userAgent !== undefined && { userAgent }) }
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  // The token endpoint is not a protected resource: no Bearer challenge (RFC 6749 §5.2 asks for one only
  // when the client authenticated with the Authorization header, which project backends do not).
  const { status, headers, body } = httpErrorResponse(error, { resourceMetadata: '', scope: '' })
  const { 'www-authenticate': _challenge, ...rest } = headers
  return reply.code(status).headers(rest).send(body)
}
