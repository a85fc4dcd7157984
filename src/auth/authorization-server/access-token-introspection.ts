import { decodeJwt } from 'jose'
import { isGatehouseError } from '../../domain/errors.js'
import { looksLikeJwt } from '../tokens/jwt-shape.js'
import type { AccessTokenVerifier } from './access-token-verifier.js'

/**
 * RFC 7662 introspection of Gatehouse's JWT access tokens, which oidc-provider
 * refuses to introspect. A token is active when its signature, issuer,
 * audience and times hold and its Connected Application is still connected;
 * only the client the token was issued to learns its claims (a JWT's claims
 * are readable by whoever holds it, so this reveals nothing new but liveness).
 */
export class AccessTokenIntrospection {
  readonly #verifier: AccessTokenVerifier

  constructor(verifier: AccessTokenVerifier) {
    this.#verifier = verifier
  }

  /** Whether this request is one for Gatehouse (a JWT) rather than for oidc-provider (a refresh token). */
  handles(token: string | null): token is string {
    return token !== null && looksLikeJwt(token)
  }

  async introspect(token: string, clientId: string | null, now = Date.now()): Promise<Record<string, unknown>> {
    try {
      const { principal } = await this.#verifier.verify(token, now)
      if (clientId === null || principal.clientId !== clientId) return { active: false }
      const claims = decodeJwt(token)
      return {
        active: true,
        token_type: 'Bearer',
        scope: principal.scopes.join(' '),
        client_id: principal.clientId,
        sub: principal.userId,
        org_id: principal.orgId,
        iss: claims.iss,
        aud: claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
      }
    } catch (error) {
      if (isGatehouseError(error)) return { active: false }
      throw error
    }
  }
}
