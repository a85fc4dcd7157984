import type { Principal } from '../domain/principal.js'
import type { ConnectionDefinition, DomainDefinition, ProjectFile } from '../config/project-file-schema.js'
import type { SecurityDefinition } from '../config/security-schema.js'
import { appliedPolicies } from './access-policy.js'
import type { AppliedPolicy } from './access-policy.js'

/**
 * The policies that apply to a principal in a project (SPEC §3.2). Default
 * deny: a project without a `security` section, or a principal no assignment
 * names, gets none. Throws `AuthorizationError` when a parameter cannot be
 * resolved or a token asks for a value it may not (fail closed). Principals
 * are cached with their credential and definitions are replaced, never
 * mutated, so the answer is kept per (principal, definition).
 */
export function policiesFor(principal: Principal, project: ProjectFile): readonly AppliedPolicy[] {
  const security = project.security
  if (security === undefined) return []
  let byDefinition = resolved.get(principal)
  if (byDefinition === undefined) resolved.set(principal, (byDefinition = new WeakMap()))
  let entry = byDefinition.get(security)
  if (entry === undefined) {
    try {
      entry = { policies: appliedPolicies(principal, security) }
    } catch (error) {
      entry = { error }
    }
    byDefinition.set(security, entry)
  }
  if ('error' in entry) throw entry.error
  return entry.policies
}

type Resolved = { readonly policies: readonly AppliedPolicy[] } | { readonly error: unknown }
const resolved = new WeakMap<Principal, WeakMap<SecurityDefinition, Resolved>>()

/** Connection-level security (CLS): the connections some applied policy grants, in definition order. */
export function visibleConnections(principal: Principal, project: ProjectFile): ConnectionDefinition[] {
  const granted = new Set(policiesFor(principal, project).flatMap((p) => p.policy.connections))
  return project.connections.filter((c) => granted.has(c.name))
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
 * Which of a visible domain's datasets, dimensions and measures exist for the
 * principal is decided against the catalog (`restrictDomain`).
 */
export function visibleDomains(principal: Principal, project: ProjectFile): DomainDefinition[] {
  const connections = new Set(visibleConnections(principal, project).map((c) => c.name))
  return project.domains.filter(
    (d) => canSeeDomain(principal, d.name) && d.datasets.every((ds) => connections.has(ds.connection)),
  )
}
