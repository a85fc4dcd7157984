import { describe, expect, it } from 'vitest'
import { providerSchema } from '../../config/auth-config-schema.js'
import type { ProviderConfig } from '../../config/config-schema.js'
import { isUsableEndpoint, providerPreset } from './provider-preset.js'

function provider(input: Record<string, unknown>): ProviderConfig {
  return providerSchema.parse({ id: 'p', client_id: 'gatehouse', ...input })
}

describe('providerPreset', () => {
  it.each([
    ['oidc', { type: 'oidc', issuer: 'https://sso.example.com/realms/main' }, 'https://sso.example.com/realms/main'],
    [
      'keycloak',
      { type: 'keycloak', server_url: 'https://kc.example.com/', realm: 'main' },
      'https://kc.example.com/realms/main',
    ],
    ['google', { type: 'google' }, 'https://accounts.google.com'],
    ['salesforce', { type: 'salesforce' }, 'https://login.salesforce.com'],
    [
      'salesforce My Domain',
      { type: 'salesforce', issuer: 'https://acme.my.salesforce.com' },
      'https://acme.my.salesforce.com',
    ],
  ])('discovers %s from its issuer with openid profile email', (_name, input, issuer) => {
    const preset = providerPreset(provider(input))
    expect(preset).toMatchObject({ protocol: 'oidc', issuer, scope: 'openid profile email', allowsHttp: false })
    expect(preset.authorizationEndpoint).toBeUndefined()
  })

  it('escapes a keycloak realm in the issuer path', () => {
    const preset = providerPreset(provider({ type: 'keycloak', server_url: 'https://kc.example.com', realm: 'a/b c' }))
    expect(preset.issuer).toBe('https://kc.example.com/realms/a%2Fb%20c')
  })

  it('knows GitHub by its documented endpoints (no discovery, no ID token)', () => {
    expect(providerPreset(provider({ type: 'github' }))).toMatchObject({
      protocol: 'oauth2',
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      apiUrl: 'https://api.github.com',
      scope: 'read:user user:email',
      authorizationParameters: {},
    })
  })

  it('knows Atlassian by its documented endpoints, with the audience and consent prompt it needs', () => {
    expect(providerPreset(provider({ type: 'atlassian' }))).toMatchObject({
      protocol: 'oauth2',
      authorizationEndpoint: 'https://auth.atlassian.com/authorize',
      tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
      userinfoEndpoint: 'https://api.atlassian.com/me',
      scope: 'read:me',
      authorizationParameters: { audience: 'api.atlassian.com', prompt: 'consent' },
    })
  })

  it('lets the endpoint overrides and scope replace the preset ones (GitHub Enterprise)', () => {
    const preset = providerPreset(
      provider({
        type: 'github',
        authorization_endpoint: 'https://ghe.example.com/login/oauth/authorize',
        token_endpoint: 'https://ghe.example.com/login/oauth/access_token',
        api_url: 'https://ghe.example.com/api/v3/',
        scope: 'read:user',
      }),
    )
    expect(preset).toMatchObject({
      authorizationEndpoint: 'https://ghe.example.com/login/oauth/authorize',
      tokenEndpoint: 'https://ghe.example.com/login/oauth/access_token',
      apiUrl: 'https://ghe.example.com/api/v3',
      scope: 'read:user',
    })
  })

  it.each(['http://127.0.0.1:8080/realms/x', 'http://localhost:8080', 'http://[::1]:9000'])(
    'accepts plain http on the loopback host of %s, and says so',
    (issuer) => {
      expect(providerPreset(provider({ type: 'oidc', issuer })).allowsHttp).toBe(true)
    },
  )

  it.each([
    ['issuer', { type: 'oidc', issuer: 'http://sso.example.com' }, 'issuer'],
    ['server_url', { type: 'keycloak', server_url: 'http://kc.example.com', realm: 'r' }, 'server_url'],
    [
      'authorization_endpoint',
      { type: 'github', authorization_endpoint: 'http://10.0.0.5/authorize' },
      'authorization_endpoint',
    ],
    ['token_endpoint', { type: 'github', token_endpoint: 'http://ghe.internal/token' }, 'token_endpoint'],
    ['userinfo_endpoint', { type: 'atlassian', userinfo_endpoint: 'http://192.168.1.1/me' }, 'userinfo_endpoint'],
    ['api_url', { type: 'github', api_url: 'http://ghe.internal/api/v3' }, 'api_url'],
  ])('refuses a plain http %s off loopback, naming the key', (_name, input, key) => {
    expect(() => providerPreset(provider(input))).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`auth.providers[p].${key}:`),
      }),
    )
  })

  it.each([
    [
      'api_url on a provider other than github',
      { type: 'oidc', issuer: 'https://x.example', api_url: 'https://x.example' },
    ],
    ['an issuer on github', { type: 'github', issuer: 'https://github.com' }],
    [
      'an issuer on keycloak',
      { type: 'keycloak', server_url: 'https://kc.example', realm: 'r', issuer: 'https://kc.example' },
    ],
  ])('refuses %s', (_name, input) => {
    expect(() => providerPreset(provider(input))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

describe('isUsableEndpoint', () => {
  it.each([
    ['https://sso.example.com/token', true],
    ['http://127.0.0.1:4000/token', true],
    ['http://localhost/token', true],
    ['http://sso.example.com/token', false],
    ['ftp://127.0.0.1/token', false],
    ['not a url', false],
  ])('%s → %s', (url, usable) => {
    expect(isUsableEndpoint(url)).toBe(usable)
  })
})
