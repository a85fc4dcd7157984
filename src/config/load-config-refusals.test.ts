import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../domain/errors.js'
import { loadConfig } from './load-config.js'
import { configDir, loadError } from '../../test/support/config-folder.js'

const PROVIDER = 'id: corp, client_id: gatehouse'

describe('loadConfig refusals', () => {
  it.each([
    [
      'a port that is not a number',
      'server: { port: abc }',
      'server.port',
      'expected an integer between 0 and 65535, got "abc"',
    ],
    [
      'a port out of range',
      'server: { port: 70000 }',
      'server.port',
      'expected an integer between 0 and 65535, got 70000',
    ],
    ['a fractional port', 'server: { port: 80.5 }', 'server.port', 'expected an integer between 0 and 65535, got 80.5'],
    [
      'an unknown key at the root',
      'servre: {}',
      'servre',
      'unknown key; expected one of server, store, auth, audit, limits, logging',
    ],
    [
      'an unknown nested key',
      'server: { prot: 8000 }',
      'server.prot',
      'unknown key; expected one of host, port, public_url',
    ],
    [
      'an unknown key in a provider',
      `auth: { providers: [{ ${PROVIDER}, type: github, secret: x }] }`,
      'auth.providers[0].secret',
      'unknown key; expected one of id, type, client_id',
    ],
    [
      'an unset ${VAR}',
      `auth: { providers: [{ ${PROVIDER}, type: github, client_secret: "\${CORP_SECRET}" }] }`,
      'auth.providers[0].client_secret',
      'environment variable CORP_SECRET is not set',
    ],
    [
      'an unknown provider type',
      `auth: { providers: [{ id: gh, type: github, client_id: a }, { ${PROVIDER}, type: saml }] }`,
      'auth.providers[1].type',
      'expected one of "github", "google", "atlassian", "salesforce", "keycloak", "oidc", got "saml"',
    ],
    [
      'an oidc provider without issuer',
      `auth: { providers: [{ ${PROVIDER}, type: oidc }] }`,
      'auth.providers[0].issuer',
      'an oidc provider needs an issuer URL',
    ],
    [
      'a keycloak provider without realm',
      `auth: { providers: [{ ${PROVIDER}, type: keycloak, server_url: "https://kc.example.com" }] }`,
      'auth.providers[0].realm',
      'a keycloak provider needs realm',
    ],
    [
      'a realm on a provider that is not keycloak',
      `auth: { providers: [{ ${PROVIDER}, type: github, realm: main }] }`,
      'auth.providers[0].realm',
      'realm applies only to keycloak providers',
    ],
    [
      'owner in a role map',
      `auth: { providers: [{ ${PROVIDER}, type: github, claims: { role: { from: roles, map: { boss: owner } } } }] }`,
      'auth.providers[0].claims.role.map.boss',
      'a mapped role is never owner (make owners with the CLI); expected admin or member, got "owner"',
    ],
    [
      'provisioning open to every account',
      `auth: { providers: [{ ${PROVIDER}, type: github, provision: { org: acme } }] }`,
      'auth.providers[0].provision',
      'expected allowed_domains and/or allowed_groups',
    ],
    [
      'duplicate provider ids',
      `auth: { providers: [{ ${PROVIDER}, type: github }, { ${PROVIDER}, type: google }] }`,
      'auth.providers[1].id',
      'duplicate provider id "corp" (already used by item 0)',
    ],
    [
      'an http public_url on a non-loopback host',
      'server: { public_url: "http://gatehouse.example.com" }',
      'server.public_url',
      'https is required unless the host is loopback (localhost, 127.0.0.0/8, ::1)',
    ],
    [
      'a public_url that is not a URL',
      'server: { public_url: "gatehouse.example.com" }',
      'server.public_url',
      'expected an http(s) URL such as https://gatehouse.example.com, got "gatehouse.example.com"',
    ],
    [
      'trust_proxy: true',
      'server: { trust_proxy: true }',
      'server.trust_proxy',
      'expected false or a list of proxy IP addresses/CIDRs, got true',
    ],
    [
      'a trust_proxy entry that is not an address',
      'server: { trust_proxy: [proxy.internal] }',
      'server.trust_proxy[0]',
      'expected an IP address or a CIDR such as 10.0.0.0/8, got "proxy.internal"',
    ],
    [
      'an allowed origin with a path',
      'server: { allowed_origins: ["https://app.example.com/app"] }',
      'server.allowed_origins[0]',
      'expected an origin such as https://app.example.com',
    ],
    [
      'tls with a path instead of PEM text',
      'server: { tls: { cert: /etc/tls.crt, key: file:tls/tls.key } }',
      'server.tls.cert',
      'expected the PEM text of the certificate; write file:/path/to/file.pem',
    ],
    [
      'a bad store url',
      'store: { url: "mysql://db/gatehouse" }',
      'store.url',
      'expected sqlite:PATH, sqlite::memory: or postgres://user@host/db',
    ],
    [
      'a client without redirect URIs',
      'auth: { clients: [{ client_id: a, name: A, redirect_uris: [] }] }',
      'auth.clients[0].redirect_uris',
      'expected at least one redirect URI, got an empty list',
    ],
    [
      'an http redirect URI off loopback',
      'auth: { clients: [{ client_id: a, name: A, redirect_uris: ["http://app.example.com/cb"] }] }',
      'auth.clients[0].redirect_uris[0]',
      'expected an absolute redirect URI without a fragment',
    ],
    [
      'an unknown client scope',
      'auth: { clients: [{ client_id: a, name: A, redirect_uris: ["https://a.example.com/cb"], scopes: [mcp:admin] }] }',
      'auth.clients[0].scopes[0]',
      'expected one of "mcp:read", "mcp:sql", "mcp:write", "openid", "profile", "email", "offline_access", got "mcp:admin"',
    ],
    [
      'a client without name',
      'auth: { clients: [{ client_id: a, redirect_uris: ["https://a.example.com/cb"] }] }',
      'auth.clients[0].name',
      'expected a non-empty string, but it is missing',
    ],
    [
      'a zero access token ttl',
      'auth: { access_token_ttl: 0 }',
      'auth.access_token_ttl',
      'expected an integer of at least 1, got 0',
    ],
    [
      'a bad log level',
      'logging: { level: loud }',
      'logging.level',
      'expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ],
    ['a root that is not a mapping', '- server', '', 'expected a mapping, got a list'],
    [
      'a YAML syntax error',
      'server:\n  port: 8000\n  host: [a, b\nstore: {}\n',
      'line 4, column 1',
      'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'a duplicate YAML key',
      'server:\n  port: 1\n  port: 2\n',
      'line 3, column 3',
      'invalid YAML: Map keys must be unique',
    ],
    [
      'an unreadable file: reference',
      `auth: { providers: [{ ${PROVIDER}, type: github, client_secret: file:secrets/absent }] }`,
      'auth.providers[0].client_secret',
      'cannot read the file',
    ],
  ])('refuses %s', (_reason, text, path, expected) => {
    const error = loadError(text, {})
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.file).toBe('gatehouse.yaml')
    expect(error.path).toBe(path)
    expect(error.message).toContain(`gatehouse.yaml: ${path === '' ? '(root)' : path}: ${expected}`)
  })

  it.each([
    ['Authorization', 'server: { sql_request_headers: [Authorization] }'],
    ['a cookie', 'server: { sql_request_headers: [x-region, COOKIE] }'],
    ['a proxy header', 'server: { sql_request_headers: [X-Forwarded-For] }'],
    ['Proxy-Authorization', 'server: { sql_request_headers: [proxy-authorization] }'],
  ])('refuses %s as a header SQL may read', (_what, text) => {
    expect(loadError(text, {}).message).toContain('credential and proxy headers')
  })

  it('refuses a header name that is not an HTTP token', () => {
    expect(loadError('server: { sql_request_headers: ["x region"] }', {}).message).toContain(
      'expected an HTTP header name',
    )
  })

  it('names the unreadable file in full', () => {
    const folder = configDir(`auth: { providers: [{ ${PROVIDER}, type: github, client_secret: file:secrets/absent }] }`)
    expect(() => loadConfig({ path: 'gatehouse.yaml', cwd: folder, env: {} })).toThrow(
      `gatehouse.yaml: auth.providers[0].client_secret: cannot read the file ${join(folder, 'secrets', 'absent')} (ENOENT)`,
    )
  })
})
