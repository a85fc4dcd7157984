// An OAuth access token obtained the way an MCP client gets one, over HTTP: dynamic registration,
// authorization with PKCE, the login and consent forms (posted as a browser without JavaScript
// would), and the code exchange. For benchmarks: the token is then sent on every request.
import { createHash, randomBytes } from 'node:crypto'

const REDIRECT = 'http://127.0.0.1:9/callback'

export async function obtainAccessToken(base, { email, password, scope = 'mcp:read' }) {
  const cookies = new Map()
  const request = async (url, form) => {
    const headers = { cookie: [...cookies].map(([k, v]) => `${k}=${v.value}`).join('; ') }
    let body
    if (form !== undefined) {
      body = new URLSearchParams(form).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      headers,
      body,
      redirect: 'manual',
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair.indexOf('=')
      const path = /;\s*path=([^;]*)/i.exec(line)?.[1] ?? '/'
      cookies.set(pair.slice(0, eq), { value: pair.slice(eq + 1), path })
    }
    return response
  }
  const registered = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'bench', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  })
  const { client_id: clientId } = await registered.json()
  const verifier = randomBytes(32).toString('base64url')
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })
  let url = `${base}/oauth/authorize?${query}`
  for (let hop = 0; hop < 10 && url.startsWith(base); hop++) {
    const response = await request(url)
    if (response.status === 200) {
      const page = await response.text()
      const csrf = /name="csrf" value="([^"]*)"/.exec(page)?.[1] ?? ''
      const form = url.includes('/login/')
        ? { csrf, email, password }
        : {
            csrf,
            decision: 'approve',
            org: /name="org" value="([^"]*)"/.exec(page)?.[1] ?? '',
            project: /name="project" value="([^"]*)"/.exec(page)?.[1] ?? '',
          }
      const posted = await request(url, form)
      url = new URL(posted.headers.get('location') ?? '', url).toString()
    } else {
      url = new URL(response.headers.get('location') ?? '', url).toString()
    }
  }
  const code = new URL(url).searchParams.get('code')
  if (code === null) throw new Error(`the authorization ended at ${url} without a code`)
  const token = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
      code_verifier: verifier,
    }).toString(),
  })
  if (token.status !== 200) throw new Error(`token exchange failed: ${token.status} ${await token.text()}`)
  return (await token.json()).access_token
}
