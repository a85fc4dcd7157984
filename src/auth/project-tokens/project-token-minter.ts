import type { Store } from '../../store/store.js'
import type { ProjectSecretRow } from '../../store/repositories/project-secret-repository.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { AuthorizationError, GatehouseError, InputError, isGatehouseError } from '../../domain/errors.js'
import { hasPrefix, randomBase62 } from '../../domain/ids.js'
import type { Permission, PermissionSet } from '../../domain/permissions.js'
import {
  formatPermissions,
  parsePermissions,
  permissionsFromObject,
  permissionsToObject,
} from '../../domain/permissions.js'
import type { PermissionObject } from '../../domain/permissions.js'
import { secretMatches } from '../api-keys/api-key-format.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import { TOKEN_TYPES } from '../tokens/token-types.js'
import type { ProjectTokenClaims } from './project-token-claims.js'
import { parseProjectSecret, projectSecretIdOf } from './project-secret-format.js'
import { describeRequestIssues, projectTokenRequest } from './project-token-request.js'
import type { ProjectTokenRequest } from './project-token-request.js'

/** Where a mint request came from, for the audit record. */
export interface MintContext {
  readonly via: 'http' | 'cli'
  readonly ip?: string
  readonly userAgent?: string
}

export interface MintedProjectToken {
  readonly accessToken: string
  readonly tokenType: 'Bearer'
  /** ISO 8601, UTC. */
  readonly expiresAt: string
}

/** Every refusal of a wrong project or secret says this and nothing more, so neither can be probed. */
export const INVALID_PROJECT_CREDENTIALS = 'Invalid projectId or projectSecret'

function invalidClient(detail: string): GatehouseError<'CLIENT_INVALID'> {
  return new GatehouseError('CLIENT_INVALID', INVALID_PROJECT_CREDENTIALS, { detail })
}

const SIMPLE_READ = (parsePermissions('read') as { ok: true; value: PermissionSet }).value

interface Attempt {
  orgId?: string
}

/**
 * Mints project tokens (SPEC §4.3) for `POST /api/v1/token` and `gatehouse
 * token mint`: one code path. Checks run in an order that reveals nothing to a
 * caller without the secret (the body's shape, then the secret and project as
 * one answer), and only then what an authenticated backend may be told
 * (ceiling, org users, tenants). Every refusal is audited without the secret;
 * nothing is minted unless every check passed.
 */
export class ProjectTokenMinter {
  readonly #store: Store
  readonly #keys: SigningKeys
  readonly #audit: AuditSink

  constructor(store: Store, keys: SigningKeys, audit: AuditSink) {
    this.#store = store
    this.#keys = keys
    this.#audit = audit
  }

  /** The HTTP form: the body as received, so malformed JSON is refused and audited like any other request. */
  async mintJson(text: string, context: MintContext, now = Date.now()): Promise<MintedProjectToken> {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      const error = new InputError('body: malformed JSON', 'body')
      this.refused(error, context)
      throw error
    }
    return this.mint(body, context, now)
  }

  async mint(body: unknown, context: MintContext, now = Date.now()): Promise<MintedProjectToken> {
    const attempt: Attempt = {}
    try {
      return await this.#mint(body, context, attempt, now)
    } catch (error) {
      if (isGatehouseError(error) && error.code !== 'INTERNAL' && error.code !== 'STORE_UNAVAILABLE') {
        this.refused(error, context, body, attempt.orgId)
      }
      throw error
    }
  }

  async #mint(body: unknown, context: MintContext, attempt: Attempt, now: number): Promise<MintedProjectToken> {
    const parsed = projectTokenRequest.safeParse(body)
    if (!parsed.success) throw new InputError(describeRequestIssues(parsed.error))
    const request = parsed.data
    const secret = await this.#authenticate(request)
    attempt.orgId = secret.org_id

    const org = await this.#store.orgs.findById(secret.org_id)
    if (org === undefined || org.status === 'deleted') throw invalidClient(`org of ${secret.id} deleted`)
    if (org.status !== 'active') throw new AuthorizationError("This project's organization is inactive")

    const permissions = grantedPermissions(request, secret)
    const subject = await this.#subject(request, secret)
    const jti = randomBase62(22)
    const expiresAt = now + request.tokenExpiry * 1000
    const claims: ProjectTokenClaims = {
      sub: subject.sub,
      jti,
      org_id: secret.org_id,
      project_id: secret.project_id,
      sid: secret.id,
      ...(subject.tenantId !== undefined && { tenant_id: subject.tenantId }),
      ...(request.endUserId !== undefined && { end_user_id: request.endUserId }),
      permissions: permissionsToObject(permissions),
      domain_access: request.semanticDomainAccess ?? { mode: 'all' },
      ...(request.securityParams !== undefined && { security_params: request.securityParams }),
    }
    const accessToken = await this.#keys.sign(claims, { typ: TOKEN_TYPES.project, expiresAt, now })
    this.#audit.record({
      type: 'token.issued',
      orgId: secret.org_id,
      data: {
        token_type: TOKEN_TYPES.project,
        token_id: jti,
        secret_id: secret.id,
        project_id: secret.project_id,
        sub: subject.sub,
        ...(subject.tenantId !== undefined && { tenant_id: subject.tenantId }),
        ...(subject.userId !== undefined && { user_id: subject.userId }),
        permissions: claims.permissions,
        domain_access: claims.domain_access,
        expires_at: Math.floor(expiresAt / 1000) * 1000,
        via: context.via,
        ...source(context),
      },
    })
    return { accessToken, tokenType: 'Bearer', expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString() }
  }

  /** The secret, if it is live and belongs to the named project; every other case is one answer. */
  async #authenticate(request: ProjectTokenRequest): Promise<ProjectSecretRow> {
    const parsed = parseProjectSecret(request.projectSecret)
    if (parsed === undefined) throw invalidClient('malformed project secret')
    const row = await this.#store.projectSecrets.findById(parsed.id)
    if (row === undefined || !secretMatches(parsed.secret, row.secret_hash)) {
      throw invalidClient(row === undefined ? `unknown secret ${parsed.id}` : `wrong secret for ${parsed.id}`)
    }
    if (row.revoked_at !== null) throw invalidClient(`${row.id} revoked`)
    // The secret names its org: a project id of another org is simply not found in it.
    const project = await this.#store.projects.findByRef(row.org_id, request.projectId)
    if (project === undefined || project.id !== row.project_id) {
      throw invalidClient(`${row.id} is not a secret of the named project`)
    }
    return row
  }

  async #subject(
    request: ProjectTokenRequest,
    secret: ProjectSecretRow,
  ): Promise<{ sub: string; userId?: string; tenantId?: string }> {
    if (request.orgUserId !== undefined) {
      if (secret.allow_org_users !== 1) {
        throw new AuthorizationError(
          'This project secret cannot mint org-user tokens; create one with --allow-org-users',
        )
      }
      const userId = await this.#activeMember(secret.org_id, request.orgUserId)
      return { sub: userId, userId }
    }
    if (request.tenantId !== undefined) {
      const tenant = await this.#store.tenants.findByRef(secret.org_id, request.tenantId)
      if (tenant === undefined) {
        throw new InputError("tenantId: no tenant of this project's organization has this id or name", 'tenantId')
      }
      const sub = request.endUserId === undefined ? `tenant:${tenant.id}` : `tenant:${tenant.id}:${request.endUserId}`
      return { sub, tenantId: tenant.id }
    }
    return { sub: `project:${secret.project_id}` }
  }

  async #activeMember(orgId: string, ref: string): Promise<string> {
    let userId: string | undefined
    if (hasPrefix(ref, 'usr')) {
      const [user, membership] = await Promise.all([
        this.#store.users.findById(ref),
        this.#store.users.membership(orgId, ref),
      ])
      if (user?.status === 'active' && membership?.status === 'active') userId = user.id
    } else {
      const member = await this.#store.users.findMember(orgId, ref)
      if (member?.status === 'active') userId = member.userId
    }
    // Unknown, inactive and deleted members get one answer.
    if (userId === undefined) {
      throw new InputError(
        "orgUserId: no active member of this project's organization has this id or email",
        'orgUserId',
      )
    }
    return userId
  }

  /** Audits a refused request (also one refused before it reached the minter, e.g. a wrong media type). */
  refused(error: GatehouseError, context: MintContext, body?: unknown, orgId?: string): void {
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
    const secretId = projectSecretIdOf(fields.projectSecret)
    const projectId = typeof fields.projectId === 'string' ? fields.projectId.slice(0, 64) : undefined
    this.#audit.record({
      type: 'auth.failed',
      ...(orgId !== undefined && { orgId }),
      data: {
        reason: error.code,
        detail: error.detail ?? error.message,
        endpoint: 'token',
        via: context.via,
        ...(secretId !== undefined && { secret_id: secretId }),
        ...(projectId !== undefined && { project_id: projectId }),
        ...source(context),
      },
    })
  }
}

/**
 * What the token may do: what was asked for (default simple `read`, cut to the
 * ceiling), never above the secret's ceiling; dev-mode SQL only when asked for.
 */
function grantedPermissions(request: ProjectTokenRequest, secret: ProjectSecretRow): PermissionSet {
  const ceiling = permissionsFromObject(JSON.parse(secret.max_permissions) as PermissionObject)
  if (request.permissions === undefined) {
    const granted = new Set([...SIMPLE_READ].filter((p) => ceiling.has(p)))
    if (granted.size === 0) {
      throw new AuthorizationError(
        `permissions: the default (read) is outside this project secret's ceiling (${formatPermissions(ceiling)}); ask for permissions within it`,
      )
    }
    return granted
  }
  if (request.permissions.size === 0) throw new InputError('permissions: at least one permission', 'permissions')
  const excess = new Set<Permission>([...request.permissions].filter((p) => !ceiling.has(p)))
  if (excess.size > 0) {
    throw new AuthorizationError(
      `permissions: ${formatPermissions(excess)} exceed this project secret's ceiling (${formatPermissions(ceiling)})`,
    )
  }
  return request.permissions
}

function source(context: MintContext): { ip?: string; user_agent?: string } {
  return {
    ...(context.ip !== undefined && { ip: context.ip }),
    ...(context.userAgent !== undefined && { user_agent: context.userAgent }),
  }
}
