// Starts one Gatehouse server for a benchmark and prints `READY <url>` when it listens.
//
//   node bench/servers/gatehouse.js --mode auth|token|oauth|noauth|sdkpath|noaudit --key-file /tmp/key [--port 0]
//
// auth     API key verified per request (cached after the first verification): the production path.
// token    same, with an org-user project token minted over HTTP (POST /api/v1/token) instead of an API key.
// oauth    same, with an OAuth access token (at+jwt) obtained through registration, login, consent and code exchange.
// noauth   `insecureFixedPrincipal`: every /mcp request acts as the key's principal, no authentication.
// sdkpath  auth on, but `disableFastPath`: every message goes through the long-lived SDK server.
// noaudit  auth on, but `insecureNoAudit`: no audit record is written (what the audit log costs).
//
// The store lives in a temp dir this process creates and removes. The API key the load generator
// sends is written to --key-file (in every mode, so all modes receive byte-identical requests).
// SIGTERM/SIGINT: close the server (finish requests, flush the audit log), remove the temp dir, exit 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { configFromObject } from '../../dist/config/load-config.js'
import { startServer } from '../../dist/http/gatehouse-server.js'
import { Store } from '../../dist/store/store.js'
import { ApiKeyService } from '../../dist/auth/api-keys/api-key-service.js'
import { ApiKeyVerifier } from '../../dist/auth/api-keys/api-key-verifier.js'
import { parsePermissions } from '../../dist/domain/permissions.js'
import { ProjectSecretService } from '../../dist/auth/project-tokens/project-secret-service.js'
import { hashPassword } from '../../dist/auth/passwords/password-hash.js'
import { obtainAccessToken } from '../lib/oauth-flow.js'

const BENCH_PASSWORD = 'bench-password-not-secret'
const MODES = ['auth', 'token', 'oauth', 'noauth', 'sdkpath', 'noaudit']

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'auth' },
    port: { type: 'string', default: process.env.PORT ?? '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'key-file': { type: 'string' },
  },
})
if (!MODES.includes(values.mode)) fail(`--mode must be one of ${MODES.join(', ')}, got "${values.mode}"`)
if (values['key-file'] === undefined) fail('--key-file <path> is required (the API key is written there)')
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port must be 0..65535, got "${values.port}"`)

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const logger = pino({ level: 'silent' })
const config = (listenPort) =>
  configFromObject(
    {
      server: { host: values.host, port: listenPort },
      store: { url: `sqlite:${join(dir, 'state.db')}` },
      // An hour, so that no token expires during a run (the default is 600 s).
      auth: { access_token_ttl: 3600 },
      logging: { level: 'silent' },
    },
    'bench',
    dir,
    {},
  )

let server
let stopping = false
process.once('SIGTERM', () => stop('SIGTERM'))
process.once('SIGINT', () => stop('SIGINT'))

try {
  const { key, projectId, projectSecret } = await createApiKey(config(0).store.url)
  writeFileSync(values['key-file'], key, { mode: 0o600 })

  const options = { logger }
  if (values.mode === 'noauth') options.insecureFixedPrincipal = await principalOf(config(0).store.url, key)
  if (values.mode === 'sdkpath') options.disableFastPath = true
  if (values.mode === 'noaudit') options.insecureNoAudit = true

  server = await startServer(config(port), options)
  if (stopping) {
    // A signal came while starting: stop() left the shutdown to us.
    await server.close()
    cleanUp()
    process.exit(0)
  }
  if (values.mode === 'token') {
    // The credential becomes a project token, minted the way an embedding backend does.
    const response = await fetch(`${server.url}/api/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'project',
        projectId,
        projectSecret,
        orgUserId: 'bench@example.com',
        tokenExpiry: 86_400,
      }),
    })
    if (response.status !== 200) throw new Error(`minting failed: ${response.status} ${await response.text()}`)
    writeFileSync(values['key-file'], (await response.json()).accessToken, { mode: 0o600 })
  }
  if (values.mode === 'oauth') {
    const accessToken = await obtainAccessToken(server.url, { email: 'bench@example.com', password: BENCH_PASSWORD })
    writeFileSync(values['key-file'], accessToken, { mode: 0o600 })
  }
  console.log(`READY ${server.url}`)
} catch (error) {
  console.error(error)
  cleanUp()
  process.exit(1)
}

/** One org, one admin, one project, a `read` API key on that project, and a project secret that mints org-user tokens. */
async function createApiKey(url) {
  const store = Store.open(url)
  try {
    await store.migrate()
    const org = await store.orgs.create('bench')
    const email = 'bench@example.com'
    await store.users.createMember(org.id, { email, role: 'admin', passwordHash: await hashPassword(BENCH_PASSWORD) })
    const project = await store.projects.create(org.id, 'p')
    const permissions = parsePermissions('read')
    if (!permissions.ok) throw new Error(permissions.error)
    const { key } = await new ApiKeyService(store, { record() {} }).create({
      orgId: org.id,
      userEmail: email,
      name: 'bench',
      projects: [project.id],
      domains: [],
      permissions: permissions.value,
      expires: '90d',
      admin: false,
      createdBy: 'bench',
    })
    const { secret } = await new ProjectSecretService(store, { record() {} }).create({
      orgId: org.id,
      project: project.id,
      maxPermissions: permissions.value,
      allowOrgUsers: true,
      createdBy: 'bench',
    })
    return { key, projectId: project.id, projectSecret: secret }
  } finally {
    await store.close()
  }
}

/**
 * The principal the key resolves to, from the server's own API key verifier on the same store (no
 * second server in this process: its timers and metrics would burden the measured one).
 */
async function principalOf(url, key) {
  const store = Store.open(url)
  try {
    const verifier = new ApiKeyVerifier(store, { touch() {} }, { record() {} })
    const { principal } = await verifier.verify(key, Date.now())
    return principal
  } finally {
    await store.close()
  }
}

function stop(signal) {
  if (stopping) return
  stopping = true
  const done = (code) => {
    cleanUp()
    process.exit(code)
  }
  // Still starting: the startup code closes what it opened once it sees `stopping`.
  if (server === undefined) return
  server.close().then(
    () => done(0),
    (error) => {
      console.error(`gatehouse bench server: close after ${signal} failed`, error)
      done(1)
    },
  )
}

function cleanUp() {
  rmSync(dir, { recursive: true, force: true })
}

function fail(message) {
  console.error(`gatehouse.js: ${message}`)
  process.exit(2)
}
