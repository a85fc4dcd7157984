// Starts Gatehouse on the demo world with one credential per kind of principal of the demo project's
// `security:` section, and prints `READY <url>`: the org admin's API key (policy `full_access`), the
// member's (`analyst`: hidden columns) and the tenant globex's project token (`tenant_scoped`: row rule),
// minted over `POST /api/v1/token` as an embedding backend does. The credentials go to --credentials-file
// as JSON. The demo files (warehouse, project file) are the caller's, in --dir; --project picks the project
// file (the bench writes a PostgreSQL variant next to the DuckDB one). SIGTERM/SIGINT: close, exit 0.
//
//   node bench/lib/demo-principals-server.js --dir DIR --project DIR/project.yaml --credentials-file PATH
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { configFromObject } from '../../dist/config/load-config.js'
import { startServer } from '../../dist/http/gatehouse-server.js'
import { Store } from '../../dist/store/store.js'
import { parsePermissions } from '../../dist/domain/permissions.js'
import { ApiKeyService } from '../../dist/auth/api-keys/api-key-service.js'
import { ProjectSecretService } from '../../dist/auth/project-tokens/project-secret-service.js'
import { DEMO_KEY_PERMISSIONS, DEMO_TENANTS, DEMO_USERS, prepareDemoWorld } from '../../dist/cli/demo/demo-setup.js'

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    project: { type: 'string' },
    'credentials-file': { type: 'string' },
    port: { type: 'string', default: '0' },
  },
})
if (values.dir === undefined || values.project === undefined || values['credentials-file'] === undefined) {
  console.error('demo-principals-server.js: --dir, --project and --credentials-file are required')
  process.exit(2)
}

// Each launch has a store of its own; the warehouse and project files are shared with the caller.
const state = mkdtempSync(join(values.dir, 'state-'))
const noAudit = { record() {} }
let server
try {
  const config = configFromObject(
    {
      server: { host: '127.0.0.1', port: Number(values.port) },
      store: { url: `sqlite:${join(state, 'state.db')}` },
      logging: { level: 'silent' },
    },
    'bench',
    state,
    {},
  )
  const files = { dir: values.dir, projectPath: values.project, warehousePath: join(values.dir, 'warehouse.duckdb') }
  const store = Store.open(config.store.url)
  let credentials
  try {
    await store.migrate()
    const world = await prepareDemoWorld(store, noAudit, files, { statementTimeoutMs: 15_000, progress: () => {} })
    const permissions = parsePermissions(DEMO_KEY_PERMISSIONS)
    if (!permissions.ok) throw new Error(permissions.error)
    const { key: memberKey } = await new ApiKeyService(store, noAudit).create({
      orgId: world.org.id,
      userEmail: DEMO_USERS[1].email,
      name: 'bench member',
      projects: [world.project.id],
      domains: [],
      permissions: permissions.value,
      expires: '90d',
      admin: false,
      createdBy: 'bench',
    })
    const { secret } = await new ProjectSecretService(store, noAudit).create({
      orgId: world.org.id,
      project: world.project.id,
      maxPermissions: permissions.value,
      allowOrgUsers: false,
      createdBy: 'bench',
    })
    credentials = { admin: world.apiKey, member: memberKey, projectId: world.project.id, secret }
  } finally {
    await store.close()
  }
  server = await startServer(config, { logger: pino({ level: 'silent' }) })
  const response = await fetch(`${server.url}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'project',
      projectId: credentials.projectId,
      projectSecret: credentials.secret,
      tenantId: DEMO_TENANTS[0].name,
      permissions: DEMO_KEY_PERMISSIONS,
      tokenExpiry: 86_400,
    }),
  })
  if (response.status !== 200) throw new Error(`minting failed: ${response.status} ${await response.text()}`)
  const tenant = (await response.json()).accessToken
  writeFileSync(
    values['credentials-file'],
    JSON.stringify({ admin: credentials.admin, member: credentials.member, tenant }),
    { mode: 0o600 },
  )
  console.log(`READY ${server.url}`)
} catch (error) {
  console.error(error)
  rmSync(state, { recursive: true, force: true })
  process.exit(1)
}

const stop = () =>
  server.close().finally(() => {
    rmSync(state, { recursive: true, force: true })
    process.exit(0)
  })
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
