import { z } from 'zod'
import { InputError, NotFoundError } from '../domain/errors.js'
import type { Principal } from '../domain/principal.js'
import { SCOPE_FOR_PERMISSION, parsePermissions } from '../domain/permissions.js'
import type { CliContext } from './cli-context.js'

/**
 * Who `run tool` and `explain` act as: a member of an org (with overrides to
 * try a policy out), or a tenant user as a project token would carry it.
 */
const userContextSchema = z
  .strictObject({
    org: z.string().min(1),
    user: z.string().min(1).optional(),
    tenant: z.string().min(1).optional(),
    end_user: z.string().min(1).optional(),
    security_params: z.record(z.string(), z.unknown()).optional(),
    projects: z.array(z.string().min(1)).optional(),
    permissions: z.string().min(1).default('read'),
    domains: z.array(z.string().min(1)).optional(),
    role: z.enum(['owner', 'admin', 'member']).optional(),
    groups: z.array(z.string()).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((c) => c.user === undefined || c.tenant === undefined, {
    error: 'expected user or tenant, not both',
  })
  .refine((c) => c.tenant !== undefined || (c.end_user === undefined && c.security_params === undefined), {
    error: 'end_user and security_params need a tenant',
  })

export type UserContext = z.input<typeof userContextSchema>

/** Parses `--user-context` JSON and resolves it to a Principal. */
export async function principalFromUserContext(ctx: CliContext, json: string): Promise<Principal> {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch {
    throw new InputError('--user-context: expected a JSON object such as {"org":"acme","user":"admin@acme.example"}')
  }
  return principalFor(ctx, raw, '--user-context')
}

/** A principal from a user context object; `at` names the option in error messages. */
export async function principalFor(ctx: CliContext, raw: unknown, at: string): Promise<Principal> {
  const parsed = userContextSchema.safeParse(raw)
  if (!parsed.success) throw new InputError(`${at}: ${z.prettifyError(parsed.error)}`)
  const context = parsed.data
  const org = await ctx.org(context.org)
  const member = context.user === undefined ? undefined : await ctx.store.users.findMember(org.id, context.user)
  if (context.user !== undefined && member === undefined) throw new NotFoundError(`User ${context.user} in ${org.name}`)
  const tenant = context.tenant === undefined ? undefined : await ctx.store.tenants.findByRef(org.id, context.tenant)
  if (context.tenant !== undefined && tenant === undefined) {
    throw new NotFoundError(`Tenant ${context.tenant} in ${org.name}`)
  }
  const permissions = parsePermissions(context.permissions)
  if (!permissions.ok) throw new InputError(`${at}: permissions: ${permissions.error}`)
  const projects = await ctx.store.projects.list(org.id)
  const projectIds =
    context.projects === undefined
      ? projects.map((p) => p.id)
      : context.projects.map((ref) => {
          const project = projects.find((p) => p.id === ref || p.name === ref)
          if (project === undefined) throw new NotFoundError(`Project ${ref}`)
          return project.id
        })
  const scopes = new Set<string>()
  for (const p of permissions.value) if (p !== 'admin') scopes.add(SCOPE_FOR_PERMISSION[p])
  const common = {
    orgId: org.id,
    projectIds,
    scopes: [...scopes].sort(),
    permissions: permissions.value,
    domainAccess:
      context.domains === undefined ? { mode: 'all' as const } : { mode: 'include' as const, domains: context.domains },
    tokenId: 'cli-user-context',
    expiresAt: null,
  }
  if (tenant !== undefined) {
    return {
      ...common,
      kind: 'project_token',
      tenantId: tenant.id,
      tenantAttributes: tenant.attributes,
      ...(context.end_user !== undefined && { endUserId: context.end_user }),
      ...(context.security_params !== undefined && { securityParams: context.security_params }),
      attributes: {},
      role: 'tenant_user',
      groups: [],
    }
  }
  return {
    ...common,
    kind: 'api_key',
    ...(member !== undefined && { userId: member.userId, email: member.email }),
    ...(member?.name != null && { name: member.name }),
    attributes: context.attributes ?? member?.attributes ?? {},
    role: context.role ?? member?.role ?? 'member',
    groups: context.groups ?? member?.groups ?? [],
  }
}
