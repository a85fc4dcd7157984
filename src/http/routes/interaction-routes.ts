import formbody from '@fastify/formbody'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Interactions, InteractionView } from '../../auth/authorization-server/interactions.js'
import { SCOPE_DESCRIPTIONS } from '../../auth/authorization-server/scopes.js'
import type { LocalLogin } from '../../auth/passwords/local-login.js'
import { isLoopbackHost } from '../../config/network-address.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { isGatehouseError } from '../../domain/errors.js'
import type { Store } from '../../store/store.js'
import { consentPage } from '../../web/consent-page.js'
import { errorPage } from '../../web/html.js'
import { loginPage } from '../../web/login-page.js'
import type { ClientAddressResolver } from '../client-address.js'
import { PAGE_HEADERS } from './page-headers.js'
import { ACCOUNT_COOKIE } from '../../auth/account-session.js'
import type { AccountSessions } from '../../auth/account-session.js'
import { cookieHeader } from './account-routes.js'

export interface InteractionRouteOptions {
  readonly interactions: Interactions
  readonly localLogin: LocalLogin
  readonly store: Store
  readonly audit: AuditSink
  readonly addresses: ClientAddressResolver
  readonly localLoginEnabled: boolean
  readonly providers: readonly { readonly id: string; readonly label: string }[]
  /** A sign-in here also signs the browser in to Gatehouse's own pages (Connected Applications). */
  readonly sessions: AccountSessions
  readonly secureCookies: boolean
}

const EXPIRED =
  'This sign-in page has expired or was opened in another browser. Return to the application and connect again.'

type Form = Record<string, string | string[] | undefined>

/**
 * The login and consent pages of an authorization request (SPEC §3.4,
 * `/login/<uid>` and `/consent/<uid>`): server-rendered HTML that works
 * without JavaScript, every form CSRF-protected, never framed, never cached.
 */
export function interactionRoutes(options: InteractionRouteOptions): FastifyPluginAsync {
  const { interactions } = options
  return async (scope) => {
    await scope.register(formbody, { bodyLimit: 16 * 1024 })
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(PAGE_HEADERS)
    })

    const source = (req: FastifyRequest) => {
      const ip = options.addresses.resolve(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'])
      const userAgent = req.headers['user-agent']
      return { ...(ip !== undefined && { ip }), ...(userAgent !== undefined && { userAgent }) }
    }
    const html = (reply: FastifyReply, status: number, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').send(body)
    const expired = (reply: FastifyReply) => html(reply, 400, errorPage('Sign-in expired', EXPIRED))

    const renderLogin = (reply: FastifyReply, view: InteractionView, status = 200, error?: string, email?: string) =>
      html(
        reply,
        status,
        loginPage({
          action: `/login/${view.uid}`,
          csrf: interactions.csrfToken(view.uid),
          clientName: view.clientName,
          localLogin: options.localLoginEnabled,
          providers: options.providers.map((p) => ({ ...p, href: `/login/${view.uid}/${p.id}` })),
          ...(error !== undefined && { error }),
          ...(email !== undefined && { email }),
        }),
      )

    scope.get<{ Params: { uid: string } }>('/login/:uid', async (req, reply) => {
      const view = await interactions.details(req.raw, reply.raw, req.params.uid)
      if (view?.prompt !== 'login') return expired(reply)
      return renderLogin(reply, view)
    })

    scope.post<{ Params: { uid: string }; Body: Form }>('/login/:uid', async (req, reply) => {
      const view = await interactions.details(req.raw, reply.raw, req.params.uid)
      if (view?.prompt !== 'login') return expired(reply)
      if (!interactions.checkCsrf(view.uid, req.body.csrf))
        return html(reply, 403, errorPage('Sign-in refused', EXPIRED))
      if (!options.localLoginEnabled)
        return renderLogin(reply, view, 400, 'Sign-in with a password is not enabled here.')
      const email = typeof req.body.email === 'string' ? req.body.email.trim() : ''
      const password = typeof req.body.password === 'string' ? req.body.password : ''
      const result = await options.localLogin.signIn(email, password, { ...source(req), clientId: view.clientId })
      if (!result.ok) return renderLogin(reply, view, result.status, result.message, email)
      const session = options.sessions.issue(result.userId)
      reply.raw.setHeader(
        'set-cookie',
        cookieHeader(ACCOUNT_COOKIE, session.value, session.maxAgeS, options.secureCookies),
      )
      reply.hijack()
      await interactions.finishLogin(req.raw, reply.raw, result.userId, 'pwd')
    })

    scope.get<{ Params: { uid: string } }>('/consent/:uid', async (req, reply) => {
      const view = await interactions.details(req.raw, reply.raw, req.params.uid)
      if (view?.prompt !== 'consent' || view.accountId === undefined) return expired(reply)
      return renderConsent(reply, view, 200)
    })

    scope.post<{ Params: { uid: string }; Body: Form }>('/consent/:uid', async (req, reply) => {
      const view = await interactions.details(req.raw, reply.raw, req.params.uid)
      if (view?.prompt !== 'consent' || view.accountId === undefined) return expired(reply)
      if (!interactions.checkCsrf(view.uid, req.body.csrf))
        return html(reply, 403, errorPage('Consent refused', EXPIRED))
      if (req.body.decision !== 'approve') {
        reply.hijack()
        return interactions.abort(req.raw, reply.raw, 'access_denied', 'The user denied access')
      }
      const orgId = typeof req.body.org === 'string' ? req.body.org : ''
      const chosen = ([] as string[]).concat(req.body.project ?? [])
      // Checkbox values are `<org>/<project>`: only the chosen org's boxes count.
      const projectIds = chosen.filter((v) => v.startsWith(`${orgId}/`)).map((v) => v.slice(orgId.length + 1))
      try {
        // finishConsent validates before it writes anything; the reply is taken over only once it redirects.
        reply.hijack()
        await interactions.finishConsent(req.raw, reply.raw, view, { orgId, projectIds }, source(req))
      } catch (error) {
        if (!isGatehouseError(error) || error.code !== 'INPUT_INVALID' || reply.raw.headersSent) throw error
        const body = await consentBody(view, error.message)
        reply.raw.writeHead(400, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' })
        reply.raw.end(body)
      }
    })

    async function consentBody(view: InteractionView, error?: string): Promise<string> {
      const userId = view.accountId ?? ''
      const [user, memberships] = await Promise.all([
        options.store.users.findById(userId),
        options.store.users.activeMemberships(userId),
      ])
      const orgs = await Promise.all(
        memberships.map(async (m) => ({
          id: m.orgId,
          name: m.orgName,
          projects: (await options.store.projects.list(m.orgId)).map((p) => ({ id: p.id, name: p.name })),
        })),
      )
      const redirect = URL.parse(view.redirectUri)
      const localhostOnly =
        view.clientRedirectUris.length > 0 &&
        view.clientRedirectUris.every((uri) => {
          const url = URL.parse(uri)
          return url !== null && url.protocol === 'http:' && isLoopbackHost(url.hostname)
        })
      return consentPage({
        action: `/consent/${view.uid}`,
        csrf: interactions.csrfToken(view.uid),
        clientName: view.clientName,
        clientId: view.clientId,
        redirectHost: redirect === null ? view.redirectUri : redirect.host === '' ? redirect.protocol : redirect.host,
        localhostOnly,
        userEmail: user?.email ?? '',
        scopes: [...view.mcpScopes, ...view.oidcScopes].map((s) => ({
          scope: s,
          description: SCOPE_DESCRIPTIONS[s] ?? s,
        })),
        orgs,
        ...(error !== undefined && { error }),
      })
    }

    async function renderConsent(reply: FastifyReply, view: InteractionView, status: number, error?: string) {
      return html(reply, status, await consentBody(view, error))
    }
  }
}
