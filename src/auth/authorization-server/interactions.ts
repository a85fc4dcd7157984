import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Store } from '../../store/store.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { InputError } from '../../domain/errors.js'
import type { AuthorizationServer } from './authorization-server.js'
import { DEFAULT_SCOPE, MCP_SCOPES, OIDC_SCOPES } from './scopes.js'

/** What a login or consent page needs to know of the authorization request it serves. */
export interface InteractionView {
  readonly uid: string
  readonly prompt: 'login' | 'consent'
  /** The signed-in user (consent only). */
  readonly accountId?: string
  readonly clientId: string
  readonly clientName: string
  readonly redirectUri: string
  readonly clientRedirectUris: readonly string[]
  /** The scopes asked for, `mcp:read` when none of this resource's were. */
  readonly mcpScopes: readonly string[]
  readonly oidcScopes: readonly string[]
}

export interface ConsentDecision {
  readonly orgId: string
  readonly projectIds: readonly string[]
}

/**
 * The interaction steps of an authorization request, for the login and
 * consent pages: read the pending request (bound to the browser by
 * oidc-provider's interaction cookie), finish a login, record a consent as a
 * grant plus Gatehouse's Connected Application (org and projects chosen), or
 * abort. CSRF tokens are an HMAC of the interaction id under a server secret.
 */
export class Interactions {
  readonly #server: AuthorizationServer
  readonly #store: Store
  readonly #audit: AuditSink
  readonly #csrfKey: Buffer

  constructor(server: AuthorizationServer, store: Store, audit: AuditSink, csrfKey: Buffer) {
    this.#server = server
    this.#store = store
    this.#audit = audit
    this.#csrfKey = csrfKey
  }

  /** The pending interaction of this browser, or undefined when there is none (expired, or another browser's uid). */
  async details(req: IncomingMessage, res: ServerResponse, uid: string): Promise<InteractionView | undefined> {
    const provider = await this.#server.provider()
    let interaction
    try {
      interaction = await provider.interactionDetails(req, res)
    } catch {
      return undefined
    }
    // The cookie names the interaction; a uid in the URL that differs is someone else's (or a forged link).
    if (interaction.uid !== uid) return undefined
    const params = interaction.params as Record<string, string | undefined>
    const clientId = params.client_id ?? ''
    const client = await provider.Client.find(clientId)
    if (client === undefined) return undefined
    const requested = (params.scope ?? '').split(' ').filter((s) => s !== '')
    const mcpScopes = requested.filter((s) => (MCP_SCOPES as readonly string[]).includes(s))
    return {
      uid,
      prompt: interaction.prompt.name === 'login' ? 'login' : 'consent',
      ...(interaction.session?.accountId !== undefined && { accountId: interaction.session.accountId }),
      clientId,
      clientName: client.clientName ?? clientId,
      redirectUri: params.redirect_uri ?? '',
      clientRedirectUris: client.redirectUris ?? [],
      mcpScopes: mcpScopes.length > 0 ? mcpScopes : [DEFAULT_SCOPE],
      oidcScopes: requested.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s)),
    }
  }

  csrfToken(uid: string): string {
    return createHmac('sha256', this.#csrfKey).update(`interaction:${uid}`).digest('base64url')
  }

  checkCsrf(uid: string, token: unknown): boolean {
    if (typeof token !== 'string') return false
    const expected = Buffer.from(this.csrfToken(uid))
    const given = Buffer.from(token)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }

  async finishLogin(req: IncomingMessage, res: ServerResponse, accountId: string, amr: string): Promise<void> {
    const provider = await this.#server.provider()
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId, amr: [amr] } },
      { mergeWithLastSubmission: false },
    )
  }

  /**
   * Records the consent: an oidc-provider grant for the scopes asked for, and
   * the Connected Application with the org and projects chosen. The org must
   * be one the user is an active member of and every project must be in it:
   * the form's values are the user's choice, never trusted as proof.
   */
  async finishConsent(
    req: IncomingMessage,
    res: ServerResponse,
    view: InteractionView,
    decision: ConsentDecision,
    source: { ip?: string; userAgent?: string },
  ): Promise<void> {
    const accountId = view.accountId
    if (accountId === undefined) throw new InputError('Sign in first', 'session')
    const membership = await this.#store.users.membership(decision.orgId, accountId)
    const org = await this.#store.orgs.findById(decision.orgId)
    if (membership?.status !== 'active' || org?.status !== 'active') {
      throw new InputError('Choose one of your organizations', 'org')
    }
    const projects = await this.#store.projects.list(decision.orgId)
    const known = new Set(projects.map((p) => p.id))
    if (decision.projectIds.length === 0) throw new InputError('Choose at least one project', 'project')
    if (!decision.projectIds.every((id) => known.has(id)))
      throw new InputError('Choose projects of that organization', 'project')

    const provider = await this.#server.provider()
    const interaction = await provider.interactionDetails(req, res)
    const existingId = interaction.grantId
    const grant =
      (existingId === undefined ? undefined : await provider.Grant.find(existingId)) ??
      new provider.Grant({ accountId, clientId: view.clientId })
    // Exactly what the provider found missing; the MCP scopes are both resource scopes and listed scopes.
    const missing = interaction.prompt.details as {
      missingOIDCScope?: string[]
      missingOIDCClaims?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '))
    }
    const grantId = await grant.save()
    const now = Date.now()
    await this.#store.oauth.insertGrant({
      id: grantId,
      org_id: decision.orgId,
      user_id: accountId,
      client_id: view.clientId,
      client_name: view.clientName,
      project_ids: JSON.stringify([...decision.projectIds].sort()),
      scopes: [...view.mcpScopes, ...view.oidcScopes].join(' '),
      created_at: now,
      last_used_at: null,
      disconnected_at: null,
      disconnect_reason: null,
    })
    await this.#store.oauth.markClientGranted(view.clientId, now)
    this.#audit.record({
      type: 'auth.consent',
      orgId: decision.orgId,
      data: {
        user_id: accountId,
        client_id: view.clientId,
        client_name: view.clientName,
        grant_id: grantId,
        scope: view.mcpScopes.join(' '),
        project_ids: [...decision.projectIds].sort(),
        ...(source.ip !== undefined && { ip: source.ip }),
        ...(source.userAgent !== undefined && { user_agent: source.userAgent }),
      },
    })
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }

  /** Ends the request with an OAuth error sent back to the client (RFC 6749 §4.1.2.1). */
  async abort(req: IncomingMessage, res: ServerResponse, error: string, description: string): Promise<void> {
    const provider = await this.#server.provider()
    await provider.interactionFinished(
      req,
      res,
      { error, error_description: description },
      { mergeWithLastSubmission: false },
    )
  }
}
