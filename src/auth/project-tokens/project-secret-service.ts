import type { Store } from '../../store/store.js'
import type { ProjectSecretRow } from '../../store/repositories/project-secret-repository.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { ConflictError, InputError, NotFoundError } from '../../domain/errors.js'
import type { PermissionObject, PermissionSet } from '../../domain/permissions.js'
import { permissionsToObject } from '../../domain/permissions.js'
import { generateProjectSecret } from './project-secret-format.js'

export interface CreateProjectSecretInput {
  readonly orgId: string
  /** Project id or name. */
  readonly project: string
  /** The ceiling of every token minted with the secret (default simple `read`). */
  readonly maxPermissions: PermissionSet
  /** Whether the secret may mint tokens of org users, not only of tenant users. */
  readonly allowOrgUsers: boolean
  /** Who created it: a user id, or `cli` for the operator. */
  readonly createdBy: string
}

export interface ProjectSecretView {
  /** `ps_<id>`: the visible part of the secret. */
  readonly id: string
  readonly orgId: string
  readonly projectId: string
  readonly maxPermissions: PermissionObject
  readonly allowOrgUsers: boolean
  readonly createdBy: string
  readonly createdAt: number
  readonly revokedAt: number | null
  readonly status: 'active' | 'revoked'
}

export function toProjectSecretView(row: ProjectSecretRow): ProjectSecretView {
  return {
    id: row.id,
    orgId: row.org_id,
    projectId: row.project_id,
    maxPermissions: JSON.parse(row.max_permissions) as PermissionObject,
    allowOrgUsers: row.allow_org_users === 1,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    status: row.revoked_at === null ? 'active' : 'revoked',
  }
}

/** A new secret: the whole secret is returned here, once, and never again. */
export interface CreatedProjectSecret {
  readonly secret: string
  readonly view: ProjectSecretView
}

/**
 * Project secret administration (SPEC §4.3): create (several may be live at
 * once, for a zero-downtime roll-over), list, rotate (a new one with the same
 * settings, the old revoked at once), revoke for good. Revoking a secret
 * revokes every project token minted with it.
 */
export class ProjectSecretService {
  readonly #store: Store
  readonly #audit: AuditSink

  constructor(store: Store, audit: AuditSink) {
    this.#store = store
    this.#audit = audit
  }

  async create(input: CreateProjectSecretInput, now = Date.now()): Promise<CreatedProjectSecret> {
    const project = await this.#store.projects.findByRef(input.orgId, input.project)
    if (project === undefined) throw new NotFoundError(`Project ${input.project}`)
    if (input.maxPermissions.size === 0) {
      throw new InputError('A project secret needs at least one permission', 'max_permissions')
    }
    if (input.maxPermissions.has('admin')) {
      throw new InputError('A project secret never grants the admin permission', 'max_permissions')
    }
    const generated = generateProjectSecret()
    const row: ProjectSecretRow = {
      id: generated.id,
      org_id: input.orgId,
      project_id: project.id,
      secret_hash: generated.secretHash,
      max_permissions: JSON.stringify(permissionsToObject(input.maxPermissions)),
      allow_org_users: input.allowOrgUsers ? 1 : 0,
      created_by: input.createdBy,
      created_at: now,
      revoked_at: null,
    }
    await this.#store.projectSecrets.insert(row)
    this.#created(row)
    return { secret: generated.secret, view: toProjectSecretView(row) }
  }

  async list(orgId: string, projectRef: string): Promise<ProjectSecretView[]> {
    const project = await this.#store.projects.findByRef(orgId, projectRef)
    if (project === undefined) throw new NotFoundError(`Project ${projectRef}`)
    return (await this.#store.projectSecrets.list(orgId, project.id)).map(toProjectSecretView)
  }

  /** `orgId` null is the operator CLI, which may rotate any secret by id. */
  async rotate(
    orgId: string | null,
    id: string,
    actor: string,
    now = Date.now(),
  ): Promise<CreatedProjectSecret & { readonly revoked: ProjectSecretView }> {
    const generated = generateProjectSecret()
    const rotated = await this.#store.projectSecrets.rotate(
      orgId,
      id,
      (old) => ({ ...old, id: generated.id, secret_hash: generated.secretHash, created_by: actor, created_at: now }),
      now,
    )
    if (rotated === undefined) {
      const existing = await this.#store.projectSecrets.findById(id)
      if (existing === undefined || (orgId !== null && existing.org_id !== orgId)) {
        throw new NotFoundError(`Project secret ${id}`)
      }
      throw new ConflictError(`Project secret ${id} is revoked; create a new one with projects secret create`)
    }
    this.#created(rotated.created)
    this.#revoked(rotated.old, actor, rotated.created.id)
    return {
      secret: generated.secret,
      view: toProjectSecretView(rotated.created),
      revoked: toProjectSecretView(rotated.old),
    }
  }

  /** `orgId` null is the operator CLI, which may revoke any secret by id. */
  async revoke(orgId: string | null, id: string, actor: string, now = Date.now()): Promise<ProjectSecretView> {
    const revoked = await this.#store.projectSecrets.revoke(orgId, id, now)
    if (revoked === undefined) throw new NotFoundError(`Project secret ${id}`)
    if (revoked.changed) this.#revoked(revoked.row, actor)
    return toProjectSecretView(revoked.row)
  }

  #created(row: ProjectSecretRow): void {
    this.#audit.record({
      type: 'secret.created',
      orgId: row.org_id,
      data: {
        secret_id: row.id,
        project_id: row.project_id,
        max_permissions: JSON.parse(row.max_permissions) as PermissionObject,
        allow_org_users: row.allow_org_users === 1,
        actor: row.created_by,
      },
    })
  }

  #revoked(row: ProjectSecretRow, actor: string, rotatedTo?: string): void {
    this.#audit.record({
      type: 'secret.revoked',
      orgId: row.org_id,
      data: {
        secret_id: row.id,
        project_id: row.project_id,
        actor,
        ...(rotatedTo !== undefined && { rotated_to: rotatedTo }),
      },
    })
  }
}
