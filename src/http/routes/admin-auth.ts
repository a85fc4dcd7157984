import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal } from '../../domain/principal.js'
import { AuthorizationError } from '../../domain/errors.js'
import type { Authenticator } from '../../auth/authenticator.js'
import { httpErrorResponse } from '../error-response.js'

export interface AdminContext {
  readonly authenticator: Authenticator
  /** `<public_url>/.well-known/oauth-protected-resource/mcp`, for the challenge of a refused request. */
  readonly resourceMetadataUrl: string
}

/**
 * The admin API's gate (SPEC §3.4, §4.2): a credential with the org-wide
 * `admin` permission, which only `keys create --admin` grants and nothing
 * implies. Everything an admin route does is scoped to that credential's org.
 */
export async function adminPrincipal(request: FastifyRequest, context: AdminContext): Promise<Principal> {
  const principal = await context.authenticator.authenticate(request.headers.authorization)
  if (!principal.permissions.has('admin')) {
    throw new AuthorizationError('This route needs an organization admin key (gatehouse keys create --admin)')
  }
  return principal
}

/** Sends any error as the one JSON shape of SPEC §4.4, with its challenge. */
export function sendAdminError(reply: FastifyReply, error: unknown, context: AdminContext): FastifyReply {
  const response = httpErrorResponse(error, { resourceMetadata: context.resourceMetadataUrl, scope: 'mcp:read' })
  return reply.code(response.status).headers(response.headers).send(response.body)
}
