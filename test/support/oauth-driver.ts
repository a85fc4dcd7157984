import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:net'

/** A free loopback port: the server's `public_url` must name the port it really listens on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

interface Cookie {
  readonly name: string
  readonly value: string
  readonly path: string
}

/** A browser's cookie handling, as much as the flow needs: path-scoped, replaced by name and path, deleted when expired. */
export class CookieJar {
  #cookies: Cookie[] = []

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((p) => p.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1) ?? undefined
      const path = attr('path') ?? '/'
      const expires = attr('expires')
      const expired = attr('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now())
      this.#cookies = this.#cookies.filter((c) => !(c.name === name && c.path === path))
      if (!expired && value !== '') this.#cookies.push({ name, value, path })
    }
  }

  header(url: string): string {
    const path = new URL(url).pathname
    return this.#cookies
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }
}

/** One request as a browser makes it: cookies sent and stored, redirects not followed. */
export async function browserRequest(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: Record<string, string | string[]> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header(url) }
  let body: string | undefined
  if (init.form !== undefined) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(init.form)) for (const one of ([] as string[]).concat(v)) params.append(k, one)
    body = params.toString()
    headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
  })
  jar.store(response)
  return response
}

/** The value of a hidden or checked input in a page: what a user submitting the form would send. */
export function inputValue(page: string, name: string): string | undefined {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(page)
  return match?.[1]?.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
}

export function inputValues(page: string, name: string): string[] {
  return [...page.matchAll(new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`, 'g'))].map((m) =>
    (m[1] ?? '').replace(/&#(\d+);/g, (_x, code: string) => String.fromCharCode(Number(code))),
  )
}

export interface SignIn {
  readonly email: string
  readonly password: string
  /** Org to pick at consent (default: the first offered). */
  readonly org?: string
  /** Form values `<org>/<project>` to check (default: every box of the chosen org). */
  readonly projects?: readonly string[]
  readonly decision?: 'approve' | 'deny'
}

export interface AuthorizationResult {
  /** Where the browser was finally sent: the client's redirect URI with `code`/`error`, `state`, `iss`. */
  readonly location: string
  readonly jar: CookieJar
}

/**
 * Drives an authorization request through the login and consent pages with
 * plain HTTP, as a browser without JavaScript would (the pages need none).
 * Stops at the first redirect that leaves the server.
 */
export async function authorizeWithForms(
  base: string,
  authorizeUrl: string,
  signIn: SignIn,
  jar = new CookieJar(),
): Promise<AuthorizationResult> {
  let url = authorizeUrl
  for (let hop = 0; hop < 12; hop++) {
    const response = await browserRequest(jar, url)
    if (process.env.OAUTH_DRIVER_TRACE !== undefined)
      console.log(response.status, url, response.headers.get('location'))
    if (response.status === 200) {
      const page = await response.text()
      const path = new URL(url).pathname
      const csrf = inputValue(page, 'csrf') ?? ''
      let next: Response
      if (path.startsWith('/login/')) {
        next = await browserRequest(jar, url, { form: { csrf, email: signIn.email, password: signIn.password } })
      } else if (path.startsWith('/consent/')) {
        const org = signIn.org ?? inputValue(page, 'org') ?? ''
        const projects = signIn.projects ?? inputValues(page, 'project').filter((v) => v.startsWith(`${org}/`))
        next = await browserRequest(jar, url, {
          form: { csrf, org, project: [...projects], decision: signIn.decision ?? 'approve' },
        })
      } else {
        throw new Error(`unexpected page ${path}: ${page.slice(0, 300)}`)
      }
      if (next.status !== 303 && next.status !== 302) {
        throw new Error(`${path} answered ${next.status}: ${(await next.text()).slice(0, 500)}`)
      }
      url = new URL(next.headers.get('location') ?? '', url).toString()
    } else if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location') ?? '', url).toString()
    } else {
      throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 500)}`)
    }
    if (!url.startsWith(base)) return { location: url, jar }
  }
  throw new Error('too many redirects')
}

export async function tokenRequest(
  base: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}
