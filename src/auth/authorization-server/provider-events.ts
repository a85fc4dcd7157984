import type Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { Logger } from 'pino'
import type { AuditSink } from '../../domain/audit-sink.js'
import type { Store } from '../../store/store.js'
import { oauthRequestContext } from './request-context.js'

interface EventOptions {
  readonly store: Store
  readonly audit: AuditSink
  readonly logger: Logger
}

/** Where the request came from, as Gatehouse resolved it (proxy-aware). */
function source(): { ip?: string; user_agent?: string } {
  const context = oauthRequestContext.getStore()
  return {
    ...(context?.ip !== undefined && { ip: context.ip }),
    ...(context?.userAgent !== undefined && { user_agent: context.userAgent }),
  }
}

/**
 * SPEC §8 records of what the authorization server does: registrations, token
 * issue and refresh, refresh-token reuse, revocation, refusals at the token
 * endpoint. Records carry ids, never a token, code or secret. Grants belong to
 * an org (chosen at consent), so token records are filed under it.
 */
export function auditProviderEvents(provider: Provider, { store, audit, logger }: EventOptions): PendingRecords {
  const pending = new PendingRecords(logger)
  const orgOf = async (grantId: string | undefined) =>
    grantId === undefined ? undefined : await store.oauth.findGrant(grantId)

  provider.on('registration_create.success', (_ctx, client) => {
    audit.record({
      type: 'client.registered',
      data: {
        client_id: client.clientId,
        ...(client.clientName !== undefined && { client_name: client.clientName }),
        token_endpoint_auth_method: client.clientAuthMethod,
        redirect_uris: client.redirectUris ?? [],
        ...source(),
      },
    })
  })

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const { entities, params } = ctx.oidc
    const grantType = String(params?.grant_type ?? '')
    const code = entities.AuthorizationCode
    const rotated = entities.RotatedRefreshToken ?? entities.RefreshToken
    const grantId = code?.grantId ?? rotated?.grantId
    const clientId = entities.Client?.clientId
    const data = {
      grant_type: grantType,
      ...(clientId !== undefined && { client_id: clientId }),
      ...(grantId !== undefined && { grant_id: grantId }),
      ...(entities.Account?.accountId !== undefined && { user_id: entities.Account.accountId }),
      ...source(),
    }
    pending.track(
      orgOf(grantId).then(async (grant) => {
        if (grant !== undefined && grantType === 'refresh_token') await store.oauth.touchGrant(grant.id, Date.now())
        audit.record({
          type: grantType === 'refresh_token' ? 'token.refreshed' : 'token.issued',
          ...(grant !== undefined && { orgId: grant.org_id }),
          data: { ...data, ...(grant !== undefined && { scope: grant.scopes }) },
        })
      }),
    )
  })

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: string; error_description?: string }) => {
    audit.record({
      type: 'auth.failed',
      data: {
        reason: error.error ?? 'server_error',
        ...(error.error_description !== undefined && { detail: error.error_description }),
        endpoint: 'token',
        ...(ctx.oidc?.client?.clientId !== undefined && { client_id: ctx.oidc.client.clientId }),
        ...source(),
      },
    })
  })

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const reason = oauthRequestContext.getStore()?.revokeReason
    pending.track(
      orgOf(grantId).then((grant) =>
        audit.record({
          type: reason === undefined ? 'token.revoked' : 'token.reuse_detected',
          ...(grant !== undefined && { orgId: grant.org_id }),
          data: {
            grant_id: grantId,
            reason: reason ?? (ctx.oidc?.route === 'revocation' ? 'revoked_by_client' : 'revoked'),
            ...(ctx.oidc?.client?.clientId !== undefined && { client_id: ctx.oidc.client.clientId }),
            ...(grant !== undefined && { user_id: grant.user_id }),
            ...source(),
          },
        }),
      ),
    )
  })

  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: unknown) => {
    logger.error({ err: error }, 'the authorization server failed a request')
  })
  return pending
}

/**
 * Records that wait for a store read (the grant's org) before they are
 * written. A clean shutdown drains them before the audit log closes, so none
 * is lost (SPEC §8); a failure is logged, never thrown at a request.
 */
export class PendingRecords {
  readonly #logger: Logger
  readonly #pending = new Set<Promise<unknown>>()

  constructor(logger: Logger) {
    this.#logger = logger
  }

  track(work: Promise<unknown>): void {
    const settled = work
      .catch((error: unknown) => this.#logger.error({ err: error }, 'an authorization server audit record failed'))
      .finally(() => this.#pending.delete(settled))
    this.#pending.add(settled)
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }
}
