import { z } from 'zod'
import { defineTool } from '../tool-definition.js'
import { renderText, responseFormat } from '../response-format.js'
import { permissionsToObject } from '../../domain/permissions.js'
import { visibleConnections } from '../../authz/data-access.js'
import { principalDomains } from '../data-queries.js'

export const getAccessContext = defineTool({
  name: 'get_access_context',
  title: 'Get access context',
  description:
    'Describes who this credential acts as and what it may do: organization, principal, projects, scopes, ' +
    'permissions, visible domains and connections, and which query modes are open.',
  input: z.object({ response_format: responseFormat }),
  permission: null,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { principal, deps } = ctx
    const [org, projects, defined] = await Promise.all([
      deps.store.orgs.findById(principal.orgId),
      deps.catalog.projects(principal.orgId, principal.projectIds),
      deps.data.projects(principal.orgId, principal.projectIds),
    ])
    const structuredContent = {
      organization: { id: principal.orgId, name: org?.name ?? null },
      principal: {
        kind: principal.kind,
        user_id: principal.userId ?? null,
        email: principal.email ?? null,
        role: principal.role,
        groups: principal.groups,
        tenant_id: principal.tenantId ?? null,
        client_id: principal.clientId ?? null,
        key_prefix: principal.keyPrefix ?? null,
        expires_at: principal.expiresAt === null ? null : new Date(principal.expiresAt).toISOString(),
      },
      projects: projects.map((p) => ({ id: p.id, name: p.name })),
      scopes: principal.scopes,
      permissions: permissionsToObject(principal.permissions),
      domain_access: principal.domainAccess,
      visible_domains: (
        await Promise.all(
          defined.map(async (p) => (await principalDomains(ctx, p)).map((d) => ({ project: p.name, name: d.name }))),
        )
      ).flat(),
      visible_connections: defined.flatMap((p) =>
        visibleConnections(principal, p.definition).map((c) => ({ project: p.name, name: c.name, engine: c.engine })),
      ),
      query_modes: {
        standard: principal.permissions.has('data:read'),
        dev: principal.permissions.has('sql:read'),
      },
    }
    return { structuredContent, text: renderText(structuredContent, args.response_format) }
  },
})
