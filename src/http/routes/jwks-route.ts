import type { FastifyPluginAsync } from 'fastify'
import type { SigningKeys } from '../../auth/tokens/signing-keys.js'

/**
 * `GET /.well-known/jwks.json`: the public signing keys, the current one and
 * retired ones whose tokens may still be valid. Cached for 5 minutes by clients.
 */
export function jwksRoute(keys: SigningKeys): FastifyPluginAsync {
  return async (scope) => {
    scope.get('/.well-known/jwks.json', async (_req, reply) =>
      reply.header('cache-control', 'public, max-age=300').send(await keys.jwks()),
    )
  }
}
