import type { Principal } from '../domain/principal.js'
import type { ConnectionDefinition, DomainDefinition, ProjectFile } from '../config/project-file-schema.js'

/**
 * Connection-level access (CLS), before security policies exist: an org
 * user's credential (API key, OAuth token, org-user project token) scoped to a
 * project sees all of that project's connections; a tenant user's project
 * token (an embedded product's end customer) sees none until a policy
 * assignment grants it some. Default deny.
 */
export function visibleConnections(principal: Principal, project: ProjectFile): ConnectionDefinition[] {
  if (isTenantUser(principal)) return []
  return [...project.connections]
}

/** Anything but an org member: a project token minted for a tenant, or for no user at all. */
function isTenantUser(principal: Principal): boolean {
  return principal.tenantId !== undefined || principal.role === 'tenant_user'
}

/** A credential narrowed to domains (`--domain`) sees only those (SPEC §4.2). */
export function canSeeDomain(principal: Principal, domain: string): boolean {
  const access = principal.domainAccess
  switch (access.mode) {
    case 'all':
      return true
    case 'none':
      return false
    case 'include':
      return access.domains.includes(domain)
    case 'exclude':
      return !access.domains.includes(domain)
  }
}

/**
 * The domains a principal may query: named by its domain access, and built
 * only on connections it can see (a domain over a hidden connection is hidden).
 */
export function visibleDomains(principal: Principal, project: ProjectFile): DomainDefinition[] {
  const connections = new Set(visibleConnections(principal, project).map((c) => c.name))
  return project.domains.filter(
    (d) => canSeeDomain(principal, d.name) && d.datasets.every((ds) => connections.has(ds.connection)),
  )
}
