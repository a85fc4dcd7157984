import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Principal } from '../../domain/principal.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { InputError, NotFoundError } from '../../domain/errors.js'
import { parsePermissions } from '../../domain/permissions.js'
import type { Store } from '../../store/store.js'
import { ApiKeyService } from '../../auth/api-keys/api-key-service.js'
import { KEY_EXPIRIES } from '../../auth/api-keys/api-key-expiry.js'
import { readAuditLog } from '../../audit/audit-log.js'
import { AUDIT_DECISIONS } from '../../audit/audit-event.js'
import { ConnectedApps } from '../../auth/authorization-server/connected-apps.js'
import { adminPrincipal, sendAdminError } from './admin-auth.js'
import type { AdminContext } from './admin-auth.js'
import { memberView, tenantView } from '../../store/repositories/identity-views.js'

export interface AdminRoutesContext extends AdminContext {
  readonly store: Store
  readonly audit: AuditSink
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
const name = (what: string, idPrefix: string) =>
  z
    .string()
    .regex(NAME, { error: `expected a ${what} name of 1–63 letters, digits, ".", "_" or "-"` })
    .refine((v) => !v.startsWith(idPrefix), { error: `a ${what} name may not start with ${idPrefix}` })
const attributes = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.unknown())

const createUser = z.strictObject({
  email: z.email(),
  name: z.string().min(1).max(200).optional(),
  role: z.enum(['owner', 'admin', 'member']).default('member'),
  groups: z.array(z.string().min(1).max(100)).max(100).default([]),
})
const updateUser = z.strictObject({
  status: z.enum(['active', 'inactive']).optional(),
  role: z.enum(['owner', 'admin', 'member']).optional(),
  groups: z.array(z.string().min(1).max(100)).max(100).optional(),
  attributes: attributes.optional(),
})
const createTenant = z.strictObject({ name: name('tenant', 'ten_'), attributes: attributes.default({}) })
const createProject = z.strictObject({ name: name('project', 'prj_') })
const createKey = z.strictObject({
  user: z.email(),
  name: z.string().min(1).max(200),
  projects: z.array(z.string().min(1)).min(1, { error: 'expected at least one project (name or id)' }),
  domains: z.array(z.string().min(1)).default([]),
  permissions: z.string().min(1).default('read'),
  expires: z.enum(KEY_EXPIRIES).default('90d'),
})
const auditQuery = z.strictObject({
  since: z.coerce.number().int().min(0).optional(),
  type: z.string().min(1).optional(),
  tool: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  decision: z.enum(AUDIT_DECISIONS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value ?? {})
  if (!parsed.success) throw new InputError(`Invalid ${where}: ${z.prettifyError(parsed.error)}`)
  return parsed.data
}

type Handler = (principal: Principal, request: FastifyRequest) => Promise<{ status?: number; body: unknown }>

/**
 * The admin API (SPEC §3.4): users and memberships, tenants, projects, API
 * keys and the audit log of the admin key's own organization. Another org's
 * resources do not exist here: every lookup is scoped by the credential's org,
 * and an id of another org answers 404 like an unknown one.
 */
export function adminRoutes(context: AdminRoutesContext): FastifyPluginAsync {
  return async (app) => registerAdminRoutes(app, context)
}

function registerAdminRoutes(app: FastifyInstance, context: AdminRoutesContext): void {
  const { store } = context
  const keys = new ApiKeyService(store, context.audit)
  const route = (handler: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await adminPrincipal(request, context)
      const { status = 200, body } = await handler(principal, request)
      return reply.code(status).header('cache-control', 'no-store').send(body)
    } catch (error) {
      return sendAdminError(reply, error, context)
    }
  }
  const member = async (orgId: string, userId: string) => {
    const found = await store.users.findMemberById(orgId, userId)
    if (found === undefined) throw new NotFoundError(`User ${userId}`)
    return found
  }
  const actor = (p: Principal) => p.keyPrefix ?? p.userId ?? p.kind

  app.get(
    '/api/v1/users',
    route(async (p) => ({ body: { users: (await store.users.listMembers(p.orgId)).map(memberView) } })),
  )
  app.post(
    '/api/v1/users',
    route(async (p, request) => {
      const input = parse(createUser, request.body, 'user')
      const created = await store.users.createMember(p.orgId, input)
      return { status: 201, body: memberView(created) }
    }),
  )
  app.patch(
    '/api/v1/users/:userId',
    route(async (p, request) => {
      const { userId } = request.params as { userId: string }
      const input = parse(updateUser, request.body, 'user update')
      await member(p.orgId, userId)
      if (input.status !== undefined) await store.users.setMembershipStatus(p.orgId, userId, input.status)
      if (input.attributes !== undefined) await store.users.setAttributes(p.orgId, userId, input.attributes)
      await store.users.updateMembership(p.orgId, userId, {
        ...(input.role !== undefined && { role: input.role }),
        ...(input.groups !== undefined && { groups: input.groups }),
      })
      return { body: memberView(await member(p.orgId, userId)) }
    }),
  )
  app.delete(
    '/api/v1/users/:userId',
    route(async (p, request) => {
      const { userId } = request.params as { userId: string }
      const { removed, userDeleted } = await store.users.removeMember(p.orgId, userId)
      if (!removed) throw new NotFoundError(`User ${userId}`)
      return { body: { user_id: userId, removed: true, user_deleted: userDeleted } }
    }),
  )

  app.get(
    '/api/v1/tenants',
    route(async (p) => ({ body: { tenants: (await store.tenants.list(p.orgId)).map(tenantView) } })),
  )
  app.post(
    '/api/v1/tenants',
    route(async (p, request) => {
      const input = parse(createTenant, request.body, 'tenant')
      return { status: 201, body: tenantView(await store.tenants.create(p.orgId, input)) }
    }),
  )

  app.get(
    '/api/v1/projects',
    route(async (p) => ({
      body: { projects: (await store.projects.list(p.orgId)).map((x) => ({ id: x.id, name: x.name })) },
    })),
  )
  app.post(
    '/api/v1/projects',
    route(async (p, request) => {
      const input = parse(createProject, request.body, 'project')
      const project = await store.projects.create(p.orgId, input.name)
      return { status: 201, body: { id: project.id, name: project.name } }
    }),
  )

  app.get(
    '/api/v1/keys',
    route(async (p) => ({ body: { keys: await keys.list(p.orgId) } })),
  )
  app.post(
    '/api/v1/keys',
    route(async (p, request) => {
      const input = parse(createKey, request.body, 'key')
      const permissions = parsePermissions(input.permissions)
      if (!permissions.ok) throw new InputError(`Invalid key: permissions: ${permissions.error}`, 'permissions')
      // The admin permission is granted by the operator CLI only, never through the API.
      const { key, view } = await keys.create({
        orgId: p.orgId,
        userEmail: input.user,
        name: input.name,
        projects: input.projects,
        domains: input.domains,
        permissions: permissions.value,
        expires: input.expires,
        admin: false,
        createdBy: actor(p),
      })
      return { status: 201, body: { ...view, key } }
    }),
  )
  app.delete(
    '/api/v1/keys/:keyId',
    route(async (p, request) => {
      const { keyId } = request.params as { keyId: string }
      return { body: await keys.revoke(p.orgId, keyId, actor(p)) }
    }),
  )

  // Connected Applications of the org's users; an org admin manages grants, never clients (SPEC §3.3).
  const apps = new ConnectedApps(store, context.audit)
  app.get(
    '/api/v1/apps',
    route(async (p, request) => {
      const { user_id: userId } = parse(
        z.strictObject({ user_id: z.string().min(1).optional() }),
        request.query,
        'apps query',
      )
      return { body: { apps: await apps.list(p.orgId, userId) } }
    }),
  )
  app.delete(
    '/api/v1/apps/:appId',
    route(async (p, request) => {
      const { appId } = request.params as { appId: string }
      return { body: await apps.disconnect({ orgId: p.orgId }, appId, actor(p)) }
    }),
  )

  app.get(
    '/api/v1/audit',
    route(async (p, request) => {
      const query = parse(auditQuery, request.query, 'audit query')
      const entries = await readAuditLog(store, {
        orgId: p.orgId,
        ...(query.since !== undefined && { since: query.since }),
        ...(query.type !== undefined && { type: query.type }),
        ...(query.tool !== undefined && { tool: query.tool }),
        ...(query.user !== undefined && { user: query.user }),
        ...(query.decision !== undefined && { decision: query.decision }),
        limit: query.limit,
      })
      return { body: { entries } }
    }),
  )
}
