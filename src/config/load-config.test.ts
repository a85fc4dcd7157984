import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../domain/errors.js'
import { configFromObject, loadConfig } from './load-config.js'
import { CERT, KEY, configDir, emptyDir, load, loadError } from '../../test/support/config-folder.js'

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
    const config = loadConfig({ path: join(folder, 'gatehouse.yaml'), cwd: emptyDir(), env: {} })
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
    const dir = emptyDir()
    const config = loadConfig({ path: 'nowhere.yaml', cwd: dir, env: {}, required: false })
    expect(config.store.url).toBe(`sqlite:${dir}/.gatehouse/state.db`)
    expect(config.server.port).toBe(8000)
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('refuses a missing file by default', () => {
    const dir = emptyDir()
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
