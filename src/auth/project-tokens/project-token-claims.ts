import { z } from 'zod'
import { RESOURCES, RESOURCE_ACTIONS } from '../../domain/permissions.js'
import type { PermissionObject } from '../../domain/permissions.js'
import type { DomainAccess } from '../../domain/principal.js'

/**
 * The claims of a project token (`typ: gatehouse-project+jwt`) besides `iss`,
 * `aud`, `iat` and `exp`, which `SigningKeys` sets and checks. Parsed again
 * after the signature is verified, so a token signed by an older release with
 * another shape is refused rather than half-read.
 */
export const projectTokenClaims = z.object({
  /** The org user's id (`usr_…`), `tenant:<ten_id>:<end user>`, `tenant:<ten_id>`, or `project:<prj_id>`. */
  sub: z.string().min(1),
  jti: z.string().min(1),
  org_id: z.string().min(1),
  project_id: z.string().min(1),
  /** The project secret the token was minted with: revoking or rotating it revokes the token. */
  sid: z.string().min(1),
  tenant_id: z.string().min(1).optional(),
  end_user_id: z.string().min(1).optional(),
  permissions: z.strictObject(
    Object.fromEntries(RESOURCES.map((r) => [r, z.array(z.enum(RESOURCE_ACTIONS[r])).optional()])),
  ),
  domain_access: z.union([
    z.object({ mode: z.enum(['all', 'none']) }),
    z.object({ mode: z.enum(['include', 'exclude']), domains: z.array(z.string()) }),
  ]),
  security_params: z.record(z.string(), z.unknown()).optional(),
  exp: z.number().int(),
})

/** A type, not an interface: it must be assignable to jose's `JWTPayload` index signature. */
export type ProjectTokenClaims = {
  readonly sub: string
  readonly jti: string
  readonly org_id: string
  readonly project_id: string
  readonly sid: string
  readonly tenant_id?: string
  readonly end_user_id?: string
  readonly permissions: PermissionObject
  readonly domain_access: DomainAccess
  readonly security_params?: Readonly<Record<string, unknown>>
}
