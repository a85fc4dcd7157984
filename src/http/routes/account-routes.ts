import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import { ACCOUNT_COOKIE } from '../../auth/account-session.js'
import type { AccountSessions } from '../../auth/account-session.js'
import type { ConnectedApps } from '../../auth/authorization-server/connected-apps.js'
import type { LocalLogin } from '../../auth/passwords/local-login.js'
import type { Store } from '../../store/store.js'
import { accountLoginPage, appsPage } from '../../web/apps-page.js'
import { errorPage } from '../../web/html.js'
import type { ClientAddressResolver } from '../client-address.js'
import { PAGE_HEADERS } from './page-headers.js'

export interface AccountRouteOptions {
  readonly sessions: AccountSessions
  readonly apps: ConnectedApps
  readonly localLogin: LocalLogin
  readonly store: Store
  readonly addresses: ClientAddressResolver
  /** Cookies are marked Secure when the public URL is https. */
  readonly secureCookies: boolean
}

type Form = Record<string, string | string[] | undefined>

/** The cookie value from a Cookie header (no cookie library needed for one name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/**
 * The signed-in user's own pages (SPEC §4.1): Connected Applications, with a
 * Disconnect button each. Sign-in is the same local sign-in as the OAuth
 * login page (same throttle, same audit); a sign-in through an authorization
 * request also signs the browser in here.
 */
export function accountRoutes(options: AccountRouteOptions): FastifyPluginAsync {
  const { sessions } = options
  return async (scope) => {
    await scope.register(formbody, { bodyLimit: 16 * 1024 })
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(PAGE_HEADERS)
    })
    const htmlReply = (reply: FastifyReply, status: number, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').send(body)
    const signedIn = async (req: FastifyRequest) => {
      const cookie = readCookie(req.headers.cookie, ACCOUNT_COOKIE)
      const userId = sessions.verify(cookie)
      if (cookie === undefined || userId === undefined) return undefined
      const user = await options.store.users.findById(userId)
      return user?.status === 'active' ? { user, cookie } : undefined
    }
    // The login form's CSRF token is bound to a pre-session cookie, so a forged form cannot sign a victim in.
    const loginCsrf = (req: FastifyRequest, reply: FastifyReply) => {
      let pre = readCookie(req.headers.cookie, `${ACCOUNT_COOKIE}_pre`)
      if (pre === undefined || !/^[A-Za-z0-9_-]{16,64}$/.test(pre)) {
        pre = randomBytes(24).toString('base64url')
        reply.header('set-cookie', cookieHeader(`${ACCOUNT_COOKIE}_pre`, pre, 3600, options.secureCookies))
      }
      return { pre, token: sessions.csrf(pre) }
    }

    scope.get('/account/login', async (req, reply) => {
      return htmlReply(reply, 200, accountLoginPage({ csrf: loginCsrf(req, reply).token }))
    })

    scope.post<{ Body: Form }>('/account/login', async (req, reply) => {
      const pre = readCookie(req.headers.cookie, `${ACCOUNT_COOKIE}_pre`)
      if (pre === undefined || !sessions.checkCsrf(pre, req.body.csrf)) {
        return htmlReply(
          reply,
          403,
          errorPage('Sign-in refused', 'This form has expired. Open the sign-in page again.'),
        )
      }
      const email = typeof req.body.email === 'string' ? req.body.email.trim() : ''
      const password = typeof req.body.password === 'string' ? req.body.password : ''
      const ip = options.addresses.resolve(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'])
      const result = await options.localLogin.signIn(email, password, {
        ...(ip !== undefined && { ip }),
        ...(req.headers['user-agent'] !== undefined && { userAgent: req.headers['user-agent'] }),
      })
      if (!result.ok) {
        return htmlReply(
          reply,
          result.status,
          accountLoginPage({ csrf: sessions.csrf(pre), error: result.message, email }),
        )
      }
      const session = sessions.issue(result.userId)
      return reply
        .header('set-cookie', cookieHeader(ACCOUNT_COOKIE, session.value, session.maxAgeS, options.secureCookies))
        .redirect('/apps', 303)
    })

    scope.post<{ Body: Form }>('/account/logout', async (req, reply) => {
      const current = await signedIn(req)
      if (current !== undefined && !sessions.checkCsrf(current.cookie, req.body.csrf)) {
        return htmlReply(reply, 403, errorPage('Sign-out refused', 'This form has expired. Reload the page.'))
      }
      return reply
        .header('set-cookie', cookieHeader(ACCOUNT_COOKIE, '', 0, options.secureCookies))
        .redirect('/account/login', 303)
    })

    const renderApps = async (
      reply: FastifyReply,
      current: NonNullable<Awaited<ReturnType<typeof signedIn>>>,
      message?: string,
    ) => {
      const memberships = await options.store.users.activeMemberships(current.user.id)
      const apps = (
        await Promise.all(
          memberships.map(async (m) =>
            (await options.apps.list(m.orgId, current.user.id)).map((app) => ({
              id: app.id,
              clientName: app.client_name,
              orgName: m.orgName,
              scopes: app.scopes,
              status: app.status,
              createdAt: app.created_at,
              lastUsedAt: app.last_used_at,
            })),
          ),
        )
      ).flat()
      return htmlReply(
        reply,
        200,
        appsPage({
          email: current.user.email,
          csrf: sessions.csrf(current.cookie),
          apps,
          ...(message !== undefined && { message }),
        }),
      )
    }

    scope.get('/apps', async (req, reply) => {
      const current = await signedIn(req)
      if (current === undefined) return reply.redirect('/account/login', 303)
      return renderApps(reply, current)
    })

    scope.post<{ Params: { id: string }; Body: Form }>('/apps/:id/disconnect', async (req, reply) => {
      const current = await signedIn(req)
      if (current === undefined) return reply.redirect('/account/login', 303)
      if (!sessions.checkCsrf(current.cookie, req.body.csrf)) {
        return htmlReply(reply, 403, errorPage('Disconnect refused', 'This form has expired. Reload the page.'))
      }
      const app = (await options.store.oauth.findGrant(req.params.id)) ?? undefined
      const memberships = await options.store.users.activeMemberships(current.user.id)
      const org = memberships.find((m) => m.orgId === app?.org_id)
      if (app === undefined || org === undefined || app.user_id !== current.user.id) {
        return htmlReply(reply, 404, errorPage('Not found', 'No such application is connected to your account.'))
      }
      const view = await options.apps.disconnect({ orgId: org.orgId, userId: current.user.id }, app.id, current.user.id)
      return renderApps(reply, current, `${view.client_name} is disconnected.`)
    })
  }
}

export function cookieHeader(name: string, value: string, maxAgeS: number, secure: boolean, path = '/'): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}
