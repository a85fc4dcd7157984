import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { authorizeWithForms, tokenRequest } from '../support/oauth-driver.js'
import { PASSWORD, authorizeUrl, registerPublicClient, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { callTool, mcpPost } from '../support/test-server.js'

describe('OAuth authorization code flow (forms, no JavaScript)', () => {
  let world: OAuthWorld
  beforeAll(async () => {
    world = await startOAuthWorld()
  })
  afterAll(async () => world.close())

  it('publishes RFC 8414 metadata with S256, CIMD support and the iss response parameter', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const response = await fetch(`${world.base}${path}`)
      expect(response.status).toBe(200)
      const metadata = (await response.json()) as Record<string, unknown>
      expect(metadata).toMatchObject({
        issuer: world.base,
        authorization_endpoint: `${world.base}/oauth/authorize`,
        token_endpoint: `${world.base}/oauth/token`,
        registration_endpoint: `${world.base}/oauth/register`,
        revocation_endpoint: `${world.base}/oauth/revoke`,
        introspection_endpoint: `${world.base}/oauth/introspect`,
        jwks_uri: `${world.base}/.well-known/jwks.json`,
        code_challenge_methods_supported: ['S256'],
        client_id_metadata_document_supported: true,
        authorization_response_iss_parameter_supported: true,
      })
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['mcp:read', 'mcp:sql', 'mcp:write']))
      // Bearer only, no pushed requests: nothing is advertised that /mcp or the routes do not serve.
      expect(metadata).not.toHaveProperty('dpop_signing_alg_values_supported')
      expect(metadata).not.toHaveProperty('pushed_authorization_request_endpoint')
    }
  })

  it('registers, signs in, consents, and the access token calls /mcp', async () => {
    const registered = await registerPublicClient(world.base)
    expect(registered.status).toBe(201)
    const clientId = String(registered.body.client_id)
    const redirectUri = 'http://127.0.0.1:40111/callback'
    const { url, verifier, state } = authorizeUrl(world.base, {
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'mcp:read mcp:sql',
    })
    const { location } = await authorizeWithForms(world.base, url, { email: world.email, password: PASSWORD })
    const back = new URL(location)
    expect(back.origin + back.pathname).toBe(redirectUri)
    expect(back.searchParams.get('state')).toBe(state)
    expect(back.searchParams.get('iss')).toBe(world.base)
    const code = back.searchParams.get('code') ?? ''

    const token = await tokenRequest(world.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
    })
    expect(token.status).toBe(200)
    const accessToken = String(token.body.access_token)
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' })
    const claims = decodeJwt(accessToken)
    expect(claims).toMatchObject({
      iss: world.base,
      aud: world.resource,
      sub: world.userId,
      org_id: world.orgId,
      client_id: clientId,
      scope: 'mcp:read mcp:sql',
    })
    expect(typeof claims.grant_id).toBe('string')
    expect(typeof token.body.refresh_token).toBe('string')

    const call = await mcpPost(world.base, callTool('get_access_context'), { authorization: `Bearer ${accessToken}` })
    expect(call.status).toBe(200)
    const text = await call.text()
    expect(text).toContain(world.orgId)
  })
})
