import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../domain/errors.js'
import { configFromObject, loadConfig } from './load-config.js'

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----'
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----'

// SPEC §3.1, with the absolute secret paths made relative so the test owns them.
const SPEC_EXAMPLE = `
server:
  host: 127.0.0.1            # loopback unless set
  port: 8000
  public_url: http://localhost:8000   # canonical resource = public_url + "/mcp"
  trust_proxy: false
  allowed_origins: []
  tls: { cert: file:tls/tls.crt, key: file:tls/tls.key }
store:
  url: sqlite:./.gatehouse/state.db
auth:
  local_login: true
  providers:
    - id: github
      type: github
      client_id: \${GITHUB_CLIENT_ID}
      client_secret: \${GITHUB_CLIENT_SECRET}
    - id: corp
      type: oidc
      issuer: https://sso.example.com/realms/main
      client_id: gatehouse
      client_secret: file:secrets/corp_oidc
      scope: openid profile email
      claims: { groups: groups, role: { from: realm_access.roles, map: { gatehouse-admin: admin } } }
      provision: { org: acme, allowed_domains: [example.com] }
  access_token_ttl: 600
  refresh_token_ttl: 2592000
  dynamic_registration: true
  client_id_metadata_documents: true
  clients:
    - client_id: my-app
      client_secret: \${MY_APP_SECRET}
      name: My App
      redirect_uris: [https://myapp.example.com/callback]
      scopes: [mcp:read]
audit:
  retention_days: 90
limits:
  max_rows: 10000
  statement_timeout_ms: 15000
`

const ENV = { GITHUB_CLIENT_ID: 'gh-id', GITHUB_CLIENT_SECRET: 'gh-secret', MY_APP_SECRET: 'app-secret' }

let dir: string
let caseNumber = 0

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Writes `text` as gatehouse.yaml in a fresh folder (with the example's secret files) and returns that folder. */
function configDir(text: string): string {
  caseNumber += 1
  const folder = join(dir, `case-${caseNumber}`)
  mkdirSync(join(folder, 'tls'), { recursive: true })
  mkdirSync(join(folder, 'secrets'))
  writeFileSync(join(folder, 'tls', 'tls.crt'), `${CERT}\n`)
  writeFileSync(join(folder, 'tls', 'tls.key'), `${KEY}\n`)
  writeFileSync(join(folder, 'secrets', 'corp_oidc'), 'corp-secret\n\n')
  writeFileSync(join(folder, 'gatehouse.yaml'), text)
  return folder
}

function load(text: string, env: NodeJS.ProcessEnv = ENV) {
  const folder = configDir(text)
  return { folder, config: loadConfig({ path: 'gatehouse.yaml', cwd: folder, env }) }
}

function loadError(text: string, env: NodeJS.ProcessEnv = ENV): ConfigError {
  try {
    load(text, env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('loads the SPEC example with its references resolved and relative paths made absolute', () => {
    const { folder, config } = load(SPEC_EXAMPLE)
    expect(config).toEqual({
      server: {
        host: '127.0.0.1',
        port: 8000,
        public_url: 'http://localhost:8000',
        trust_proxy: false,
        allowed_origins: [],
        tls: { cert: CERT, key: KEY },
        max_body_bytes: 1_048_576,
        sql_request_headers: [],
        workers: 1,
      },
      store: { url: `sqlite:${folder}/.gatehouse/state.db` },
      auth: {
        local_login: true,
        providers: [
          { id: 'github', type: 'github', client_id: 'gh-id', client_secret: 'gh-secret' },
          {
            id: 'corp',
            type: 'oidc',
            issuer: 'https://sso.example.com/realms/main',
            client_id: 'gatehouse',
            client_secret: 'corp-secret',
            scope: 'openid profile email',
            claims: { groups: 'groups', role: { from: 'realm_access.roles', map: { 'gatehouse-admin': 'admin' } } },
            provision: { org: 'acme', allowed_domains: ['example.com'] },
          },
        ],
        access_token_ttl: 600,
        refresh_token_ttl: 2_592_000,
        dynamic_registration: true,
        client_id_metadata_documents: true,
        client_metadata_allowed_networks: [],
        clients: [
          {
            client_id: 'my-app',
            client_secret: 'app-secret',
            name: 'My App',
            redirect_uris: ['https://myapp.example.com/callback'],
            scopes: ['mcp:read'],
          },
        ],
      },
      audit: { retention_days: 90, batch_size: 256, flush_interval_ms: 200 },
      limits: { max_rows: 10_000, statement_timeout_ms: 15_000 },
      logging: { level: 'info' },
    })
  })

  it('fills every default for an empty file, resolving the store path from the config folder', () => {
    const { folder, config } = load('# nothing configured yet\n', {})
    expect(config).toEqual({
      server: {
        host: '127.0.0.1',
        port: 8000,
        public_url: 'http://localhost:8000',
        trust_proxy: false,
        allowed_origins: [],
        max_body_bytes: 1_048_576,
        sql_request_headers: [],
        workers: 1,
      },
      store: { url: `sqlite:${folder}/.gatehouse/state.db` },
      auth: {
        local_login: true,
        providers: [],
        access_token_ttl: 600,
        refresh_token_ttl: 2_592_000,
        dynamic_registration: true,
        client_id_metadata_documents: true,
        client_metadata_allowed_networks: [],
        clients: [],
      },
      audit: { retention_days: 90, batch_size: 256, flush_interval_ms: 200 },
      limits: { max_rows: 10_000, statement_timeout_ms: 15_000 },
      logging: { level: 'info' },
    })
  })

  it('treats a section left empty as all defaults', () => {
    const { config } = load('server:\n  # port: 9000\naudit:\n', {})
    expect(config.server.port).toBe(8000)
    expect(config.audit.retention_days).toBe(90)
  })

  it('defaults public_url to localhost on the configured port', () => {
    expect(load('server: { port: 9123 }', {}).config.server.public_url).toBe('http://localhost:9123')
  })

  it('uses ${VAR:-default} when the variable is unset or empty, and the variable otherwise', () => {
    const text = 'server: { host: "${BIND:-0.0.0.0}", port: "${PORT:-8100}" }\nlogging: { level: "${LEVEL:-warn}" }'
    expect(load(text, { LEVEL: '' }).config).toMatchObject({
      server: { host: '0.0.0.0', port: 8100 },
      logging: { level: 'warn' },
    })
    expect(load(text, { BIND: '10.1.2.3', PORT: '9000', LEVEL: 'debug' }).config).toMatchObject({
      server: { host: '10.1.2.3', port: 9000 },
      logging: { level: 'debug' },
    })
  })

  it('accepts booleans spelled by a reference', () => {
    const { config } = load('auth: { local_login: "${LOCAL:-false}", dynamic_registration: "${DCR}" }', { DCR: 'true' })
    expect(config.auth.local_login).toBe(false)
    expect(config.auth.dynamic_registration).toBe(true)
  })

  it('reads file: references relative to the config folder, not the working directory', () => {
    const folder = configDir(
      'auth:\n  clients:\n    - { client_id: a, client_secret: file:secrets/corp_oidc, name: A, redirect_uris: ["http://127.0.0.1/cb"] }',
    )
    const config = loadConfig({ path: join(folder, 'gatehouse.yaml'), cwd: dir, env: {} })
    expect(config.auth.clients[0]?.client_secret).toBe('corp-secret')
  })

  it.each([
    ['sqlite::memory:', 'sqlite::memory:'],
    ['sqlite:/var/lib/gatehouse/state.db', 'sqlite:/var/lib/gatehouse/state.db'],
    ['postgres://gate@db.internal/gatehouse', 'postgres://gate@db.internal/gatehouse'],
    ['postgresql://gate@db.internal/gatehouse', 'postgresql://gate@db.internal/gatehouse'],
  ])('leaves store url %s as %s', (url, expected) => {
    expect(load(`store: { url: "${url}" }`, {}).config.store.url).toBe(expected)
  })

  it('resolves a bare relative sqlite path from the config folder', () => {
    const { folder, config } = load('store: { url: "sqlite:data/state.db" }', {})
    expect(config.store.url).toBe(`sqlite:${folder}/data/state.db`)
  })

  it.each([
    ['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
    ['http://127.8.9.10', 'http://127.8.9.10'],
    ['http://[::1]:8000', 'http://[::1]:8000'],
    ['https://gatehouse.example.com/', 'https://gatehouse.example.com'],
    ['https://example.com/gatehouse/', 'https://example.com/gatehouse'],
  ])('accepts public_url %s (normalized to %s)', (url, expected) => {
    expect(load(`server: { public_url: "${url}" }`, {}).config.server.public_url).toBe(expected)
  })

  it('normalizes allowed origins to the form browsers send', () => {
    const { config } = load(
      'server: { allowed_origins: ["https://App.Example.com/", "https://a.example.com:443"] }',
      {},
    )
    expect(config.server.allowed_origins).toEqual(['https://app.example.com', 'https://a.example.com'])
  })

  it('accepts trust_proxy addresses and CIDRs', () => {
    const { config } = load('server: { trust_proxy: [10.0.0.0/8, "::1", 192.168.1.7] }', {})
    expect(config.server.trust_proxy).toEqual(['10.0.0.0/8', '::1', '192.168.1.7'])
  })

  it('returns a deep-frozen config', () => {
    const { config } = load(SPEC_EXAMPLE)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.server)).toBe(true)
    expect(Object.isFrozen(config.auth.providers)).toBe(true)
    expect(Object.isFrozen(config.auth.providers[1]?.claims?.role?.map)).toBe(true)
    expect(() => {
      ;(config.server as { port: number }).port = 1
    }).toThrow(TypeError)
    expect(() => {
      ;(config.auth.providers as unknown[]).push({})
    }).toThrow(TypeError)
    expect(config.server.port).toBe(8000)
  })

  it('returns the defaults for a missing file that is not required, with paths from cwd', () => {
    const config = loadConfig({ path: 'nowhere.yaml', cwd: dir, env: {}, required: false })
    expect(config.store.url).toBe(`sqlite:${dir}/.gatehouse/state.db`)
    expect(config.server.port).toBe(8000)
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('refuses a missing file by default', () => {
    const call = () => loadConfig({ path: 'nowhere.yaml', cwd: dir, env: {} })
    expect(call).toThrow(ConfigError)
    expect(call).toThrow(`nowhere.yaml: (root): config file not found (looked for ${join(dir, 'nowhere.yaml')})`)
  })

  it('reports every schema issue, one per line, and keeps the first path', () => {
    const error = loadError('server: { port: -1, workers: 0 }\nlogging: { level: loud }', {})
    expect(error.path).toBe('server.port')
    expect(error.message.split('\n')).toEqual([
      'gatehouse.yaml: server.port: expected an integer between 0 and 65535, got -1',
      'gatehouse.yaml: server.workers: expected an integer of at least 1, got 0',
      'gatehouse.yaml: logging.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ])
  })

  it('never echoes a secret value in an error', () => {
    const error = loadError('store: { url: "mysql://gate:hunter2@db/gatehouse" }', {})
    expect(error.message).toBe(
      'gatehouse.yaml: store.url: expected sqlite:PATH, sqlite::memory: or postgres://user@host/db',
    )
  })
})

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

  it('names the unreadable file in full', () => {
    const folder = configDir(`auth: { providers: [{ ${PROVIDER}, type: github, client_secret: file:secrets/absent }] }`)
    expect(() => loadConfig({ path: 'gatehouse.yaml', cwd: folder, env: {} })).toThrow(
      `gatehouse.yaml: auth.providers[0].client_secret: cannot read the file ${join(folder, 'secrets', 'absent')} (ENOENT)`,
    )
  })
})

describe('configFromObject', () => {
  it('validates an in-memory config with references against the given folder and env', () => {
    const config = configFromObject(
      { server: { port: '${PORT}' }, store: { url: 'sqlite:state.db' } },
      'memory',
      '/srv/gatehouse',
      { PORT: '8443' },
    )
    expect(config.server.port).toBe(8443)
    expect(config.store.url).toBe('sqlite:/srv/gatehouse/state.db')
    expect(Object.isFrozen(config.store)).toBe(true)
  })

  it('names the given source in its errors', () => {
    expect(() => configFromObject({ limits: { max_rows: 0 } }, 'memory', '/srv', {})).toThrow(
      'memory: limits.max_rows: expected an integer of at least 1, got 0',
    )
  })
})
