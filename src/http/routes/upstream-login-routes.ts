import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { ACCOUNT_COOKIE } from '../../auth/account-session.js'
import type { AccountSessions } from '../../auth/account-session.js'
import type { InteractionView, Interactions } from '../../auth/authorization-server/interactions.js'
import { UpstreamLoginError } from '../../auth/upstream/upstream-login-error.js'
import type { UpstreamLoginFailure } from '../../auth/upstream/upstream-login-error.js'
import type {
  CompletedSignIn,
  InteractionRef,
  SignInSource,
  UpstreamSignIn,
} from '../../auth/upstream/upstream-sign-in.js'
import { errorPage } from '../../web/html.js'
import type { ClientAddressResolver } from '../client-address.js'
import { cookieHeader, readCookie } from './account-routes.js'
import { PAGE_HEADERS } from './page-headers.js'

export interface UpstreamLoginRouteOptions {
  readonly upstream: UpstreamSignIn
  readonly interactions: Interactions
  readonly addresses: ClientAddressResolver
  /** A sign-in here also signs the browser in to Gatehouse's own pages, as a password sign-in does. */
  readonly sessions: AccountSessions
  readonly secureCookies: boolean
}

/**
 * A random value per browser, under `/login` so that both the button and the
 * callback receive it: what ties a callback to the browser that started the
 * sign-in, since the interaction cookie is not sent to the callback path.
 */
export const UPSTREAM_BROWSER_COOKIE = 'gatehouse_upstream'
const BROWSER_COOKIE_PATH = '/login'
const BROWSER_COOKIE_MAX_AGE_S = 600
const BROWSER_VALUE = /^[A-Za-z0-9_-]{43}$/

/** The status of each refusal: 403 when the identity was established and Gatehouse declines it, 502 when the provider is down. */
export const UPSTREAM_LOGIN_STATUS: Readonly<Record<UpstreamLoginFailure, 400 | 403 | 502>> = {
  provider_unknown: 400,
  provider_unavailable: 502,
  state_mismatch: 400,
  upstream_error: 400,
  code_missing: 400,
  token_request_failed: 400,
  id_token_invalid: 400,
  profile_request_failed: 400,
  subject_missing: 400,
  account_not_linked: 403,
  account_inactive: 403,
  email_unverified: 403,
  email_taken: 403,
  signup_not_allowed: 403,
  signup_org_missing: 403,
  account_no_organization: 403,
  interaction_expired: 400,
}

function interactionRef(view: InteractionView | undefined): InteractionRef | undefined {
  return view?.prompt === 'login' ? { uid: view.uid, clientId: view.clientId } : undefined
}

/**
 * Sign-in through the identity providers of `auth.providers` (SPEC §3.4):
 * `/login/<uid>/<provider>` (the login page's button), the provider's
 * callback `/login/<provider>/callback`, and `/login/<uid>/upstream/<id>`,
 * where the browser, again under its interaction's cookie path, finishes the
 * login. Every refusal is a page with the refusal's public message.
 */
export function upstreamLoginRoutes(options: UpstreamLoginRouteOptions): FastifyPluginAsync {
  const { upstream, interactions } = options
  return async (scope) => {
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(PAGE_HEADERS)
    })

    const source = (req: FastifyRequest): SignInSource => {
      const ip = options.addresses.resolve(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'])
      const userAgent = req.headers['user-agent']
      return { ...(ip !== undefined && { ip }), ...(userAgent !== undefined && { userAgent }) }
    }
    const browserOf = (req: FastifyRequest): string | undefined => {
      const value = readCookie(req.headers.cookie, UPSTREAM_BROWSER_COOKIE)
      return value !== undefined && BROWSER_VALUE.test(value) ? value : undefined
    }
    const refused = (reply: FastifyReply, error: unknown) => {
      if (!(error instanceof UpstreamLoginError)) throw error
      return reply
        .code(UPSTREAM_LOGIN_STATUS[error.reason])
        .type('text/html; charset=utf-8')
        .send(errorPage('Sign-in refused', error.message))
    }

    scope.get<{ Params: { uid: string; provider: string } }>('/login/:uid/:provider', async (req, reply) => {
      const view = await interactions.details(req.raw, reply.raw, req.params.uid)
      // One value per browser, kept while it is valid: two sign-ins in two tabs must not undo each other.
      const browser = browserOf(req) ?? randomBytes(32).toString('base64url')
      try {
        const url = await upstream.begin(req.params.provider, interactionRef(view), browser, source(req))
        return reply
          .header(
            'set-cookie',
            cookieHeader(
              UPSTREAM_BROWSER_COOKIE,
              browser,
              BROWSER_COOKIE_MAX_AGE_S,
              options.secureCookies,
              BROWSER_COOKIE_PATH,
            ),
          )
          .redirect(url, 303)
      } catch (error) {
        return refused(reply, error)
      }
    })

    scope.get<{ Params: { provider: string } }>('/login/:provider/callback', async (req, reply) => {
      // Only the query is read: the token request's redirect_uri is rebuilt from public_url.
      const callback = new URL(req.url, 'http://callback.invalid')
      try {
        const { interactionUid, completion } = await upstream.complete(
          req.params.provider,
          callback,
          browserOf(req),
          source(req),
        )
        return reply.redirect(`/login/${encodeURIComponent(interactionUid)}/upstream/${completion}`, 303)
      } catch (error) {
        return refused(reply, error)
      }
    })

    scope.get<{ Params: { uid: string; completion: string } }>(
      '/login/:uid/upstream/:completion',
      async (req, reply) => {
        const view = await interactions.details(req.raw, reply.raw, req.params.uid)
        let signedIn: CompletedSignIn
        try {
          signedIn = await upstream.redeem(interactionRef(view), req.params.completion, source(req))
        } catch (error) {
          return refused(reply, error)
        }
        const { userId } = signedIn
        const session = options.sessions.issue(userId)
        reply.raw.setHeader(
          'set-cookie',
          cookieHeader(ACCOUNT_COOKIE, session.value, session.maxAgeS, options.secureCookies),
        )
        reply.hijack()
        await interactions.finishLogin(req.raw, reply.raw, userId, 'ext')
      },
    )
  }
}
