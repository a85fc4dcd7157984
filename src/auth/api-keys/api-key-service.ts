import type { Store } from '../../store/store.js'
import type { ApiKeyRow } from '../../store/repositories/api-key-repository.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import type { DomainAccess } from '../../domain/principal.js'
import { AuthorizationError, InputError, NotFoundError } from '../../domain/errors.js'
import type { PermissionObject, PermissionSet } from '../../domain/permissions.js'
import { permissionsToObject } from '../../domain/permissions.js'
import { generateApiKey } from './api-key-format.js'
import { expiryTime } from './api-key-expiry.js'
import type { KeyExpiry } from './api-key-expiry.js'

export interface CreateApiKeyInput {
  readonly orgId: string
  readonly userEmail: string
  readonly name: string
  /** Project ids or names; required unless `admin`. */
  readonly projects: readonly string[]
  readonly domains: readonly string[]
  readonly permissions: PermissionSet
  readonly expires: KeyExpiry
  readonly admin: boolean
  /** Who created it: a user id, or `cli` for the operator. */
  readonly createdBy: string
}

export interface ApiKeyView {
  readonly id: string
  readonly prefix: string
  readonly name: string
  readonly orgId: string
  readonly userId: string
  readonly projectIds: readonly string[]
  readonly domainAccess: DomainAccess
  readonly permissions: PermissionObject
  readonly expiresAt: number | null
  readonly createdBy: string
  readonly createdAt: number
  readonly lastUsedAt: number | null
  readonly revokedAt: number | null
  readonly status: 'active' | 'revoked' | 'expired'
}

export function toApiKeyView(row: ApiKeyRow, now = Date.now()): ApiKeyView {
  const status =
    row.revoked_at !== null ? 'revoked' : row.expires_at !== null && row.expires_at <= now ? 'expired' : 'active'
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    orgId: row.org_id,
    userId: row.user_id,
    projectIds: JSON.parse(row.project_ids) as string[],
    domainAccess: JSON.parse(row.domain_access) as DomainAccess,
    permissions: JSON.parse(row.permissions) as PermissionObject,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    status,
  }
}

/** API key administration: create (the key is returned once), list, revoke for good. */
export class ApiKeyService {
  readonly #store: Store
  readonly #audit: AuditSink

  constructor(store: Store, audit: AuditSink) {
    this.#store = store
    this.#audit = audit
  }

  async create(input: CreateApiKeyInput, now = Date.now()): Promise<{ key: string; view: ApiKeyView }> {
    const name = input.name.trim()
    if (name === '') throw new InputError('The key needs a name (--name)', 'name')
    const member = await this.#store.users.findMember(input.orgId, input.userEmail)
    if (member === undefined) throw new NotFoundError(`User ${input.userEmail} in this organization`)
    if (member.status !== 'active') throw new InputError(`User ${input.userEmail} is inactive`, 'user')

    let projectIds: string[] = []
    let permissions: PermissionObject
    if (input.admin) {
      // The admin permission is never implied by anything else, and only owners and admins hold it.
      if (member.role !== 'owner' && member.role !== 'admin') {
        throw new AuthorizationError(`An admin key needs an owner or admin; ${input.userEmail} is a ${member.role}`)
      }
      if (input.projects.length > 0 || input.domains.length > 0) {
        throw new InputError('An admin key is org-wide: it takes no --project or --domain', 'admin')
      }
      permissions = { admin: true }
    } else {
      if (input.projects.length === 0) throw new InputError('A key needs a project (--project NAME or ID)', 'project')
      for (const ref of input.projects) {
        const project = await this.#store.projects.findByRef(input.orgId, ref)
        if (project === undefined) throw new NotFoundError(`Project ${ref}`)
        projectIds.push(project.id)
      }
      projectIds = [...new Set(projectIds)]
      if (input.permissions.size === 0) throw new InputError('A key needs at least one permission', 'permissions')
      permissions = permissionsToObject(input.permissions)
    }
    const domainAccess: DomainAccess =
      input.domains.length === 0 ? { mode: 'all' } : { mode: 'include', domains: [...new Set(input.domains)] }

    const generated = generateApiKey()
    const row: ApiKeyRow = {
      id: generated.id,
      org_id: input.orgId,
      user_id: member.userId,
      name,
      prefix: generated.prefix,
      secret_hash: generated.secretHash,
      project_ids: JSON.stringify(projectIds),
      domain_access: JSON.stringify(domainAccess),
      permissions: JSON.stringify(permissions),
      expires_at: expiryTime(input.expires, now),
      created_by: input.createdBy,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    }
    await this.#store.apiKeys.insert(row)
    this.#audit.record({
      type: 'key.created',
      orgId: input.orgId,
      data: {
        key_prefix: row.prefix,
        user_id: member.userId,
        actor: input.createdBy,
        permissions,
        project_ids: projectIds,
      },
    })
    return { key: generated.key, view: toApiKeyView(row, now) }
  }

  async list(orgId: string, now = Date.now()): Promise<ApiKeyView[]> {
    return (await this.#store.apiKeys.list(orgId)).map((row) => toApiKeyView(row, now))
  }

  /** `orgId` null is the operator CLI, which may revoke any key by id. */
  async revoke(orgId: string | null, id: string, actor: string, now = Date.now()): Promise<ApiKeyView> {
    const keyId = id.startsWith('gk_') ? id.slice(3, 15) : id
    const revoked = await this.#store.apiKeys.revoke(orgId, keyId, now)
    if (revoked === undefined) throw new NotFoundError(`API key ${id}`)
    const { row, changed } = revoked
    if (changed) this.#audit.record({ type: 'key.revoked', orgId: row.org_id, data: { key_prefix: row.prefix, actor } })
    return toApiKeyView(row, now)
  }
}
