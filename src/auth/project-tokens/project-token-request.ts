import { z } from 'zod'
import type { DomainAccess } from '../../domain/principal.js'
import { RESOURCES, RESOURCE_ACTIONS, parsePermissions, permissionsFromObject } from '../../domain/permissions.js'
import type { PermissionObject, PermissionSet } from '../../domain/permissions.js'
import { MAX_TOKEN_LIFETIME_S } from '../tokens/token-types.js'

export const DEFAULT_TOKEN_EXPIRY_S = 3600

/**
 * The object form of API-key permissions (`{ data: ['read'], sql: ['read'] }`).
 * Strict: `admin` and unknown resources are refused, never ignored.
 */
const permissionObject = z.strictObject(
  Object.fromEntries(RESOURCES.map((r) => [r, z.array(z.enum(RESOURCE_ACTIONS[r])).min(1).optional()])),
)

const permissions = z.union([z.string().max(500), permissionObject]).transform((value, ctx): PermissionSet => {
  if (typeof value !== 'string') return permissionsFromObject(value as PermissionObject)
  const parsed = parsePermissions(value)
  if (parsed.ok) return parsed.value
  ctx.addIssue({ code: 'custom', message: parsed.error })
  return z.NEVER
})

const domainName = z.string().min(1).max(200)

const semanticDomainAccess = z
  .discriminatedUnion('mode', [
    z.strictObject({ mode: z.enum(['all', 'none']), domains: z.array(domainName).max(0).optional() }),
    z.strictObject({ mode: z.enum(['include', 'exclude']), domains: z.array(domainName).max(200) }),
  ])
  .transform((value): DomainAccess => {
    if (value.mode === 'all' || value.mode === 'none') return { mode: value.mode }
    return { mode: value.mode, domains: [...new Set(value.domains)] }
  })

const paramValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()])

/** What policies will read as `token.security_params`; they may narrow what an assignment grants, never widen it. */
const securityParams = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a name of letters, digits and _'),
    z.union([paramValue, z.array(paramValue).max(100)]),
  )
  .refine((params) => Object.keys(params).length <= 50, 'at most 50 parameters')

/**
 * `POST /api/v1/token` (SPEC §4.3), and `gatehouse token mint`. Unknown fields
 * are refused: a misspelt `permisions` must not silently mint a default token.
 */
export const projectTokenRequest = z
  .strictObject({
    type: z.literal('project'),
    projectId: z.string().min(1).max(200),
    projectSecret: z.string().min(1).max(200),
    orgUserId: z.string().min(1).max(320).optional(),
    tenantId: z.string().min(1).max(200).optional(),
    endUserId: z.string().min(1).max(256).optional(),
    tokenExpiry: z
      .number()
      .int()
      .min(1)
      .max(MAX_TOKEN_LIFETIME_S, `expected at most ${MAX_TOKEN_LIFETIME_S} seconds`)
      .default(DEFAULT_TOKEN_EXPIRY_S),
    semanticDomainAccess: semanticDomainAccess.optional(),
    securityParams: securityParams.optional(),
    permissions: permissions.optional(),
  })
  .superRefine((request, ctx) => {
    if (request.orgUserId !== undefined && (request.tenantId !== undefined || request.endUserId !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['orgUserId'],
        message: 'a token acts as an org user or as a tenant user, not both',
      })
    }
    if (request.endUserId !== undefined && request.tenantId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['endUserId'], message: 'an end user needs a tenantId' })
    }
  })

export type ProjectTokenRequest = z.output<typeof projectTokenRequest>

/** One line that says what is wrong and where, without echoing a value (the secret is among them). */
export function describeRequestIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? 'body' : issue.path.join('.')}: ${issue.message}`)
    .join('; ')
}
