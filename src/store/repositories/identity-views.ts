import type { Member } from './user-repository.js'
import type { Tenant } from './tenant-repository.js'

/** A member as the CLI and the admin API print it (snake_case, ISO times). */
export function memberView(m: Member) {
  return {
    user_id: m.userId,
    email: m.email,
    name: m.name,
    role: m.role,
    groups: m.groups,
    attributes: m.attributes,
    status: m.status,
    org_id: m.orgId,
    created_at: new Date(m.createdAt).toISOString(),
  }
}

/** A tenant as the CLI and the admin API print it. */
export function tenantView(t: Tenant) {
  return {
    id: t.id,
    name: t.name,
    org_id: t.orgId,
    attributes: t.attributes,
    created_at: new Date(t.createdAt).toISOString(),
  }
}
