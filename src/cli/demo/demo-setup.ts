import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Store } from '../../store/store.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { randomBase62 } from '../../domain/ids.js'
import { parsePermissions } from '../../domain/permissions.js'
import { hashPassword } from '../../auth/passwords/password-hash.js'
import { ApiKeyService } from '../../auth/api-keys/api-key-service.js'
import { createDemoWarehouse } from '../../data/engines/duckdb/demo-warehouse.js'
import { loadProjectFile } from '../../config/load-project-file.js'
import { applyProject } from '../../data/project/apply-project.js'
import { BUILTIN_TOOLS } from '../../mcp/tools/core-tools.js'

/** The project file the demo applies, shipped with the package (`examples/demo/project.yaml`). */
export const DEMO_PROJECT_TEMPLATE = fileURLToPath(new URL('../../../examples/demo/project.yaml', import.meta.url))

export const DEMO_ORG = 'acme'
export const DEMO_USERS = [
  { email: 'admin@acme.example', name: 'Ada Admin', role: 'admin' },
  { email: 'member@acme.example', name: 'Max Member', role: 'member' },
] as const
/** The warehouse's tenants, as the embedding product's tenants: `tenant_id` is what the demo's row rule filters on. */
export const DEMO_TENANTS = [
  { name: 'globex', tenantId: 't_globex' },
  { name: 'initech', tenantId: 't_initech' },
  { name: 'umbrella', tenantId: 't_umbrella' },
  { name: 'hooli', tenantId: 't_hooli' },
] as const
export const DEMO_KEY_PERMISSIONS = 'data:read,domains:read,sql:read'

export interface DemoFiles {
  readonly dir: string
  readonly configPath: string
  readonly projectPath: string
  readonly warehousePath: string
}

export interface DemoWorld {
  readonly org: { readonly id: string; readonly name: string }
  readonly project: { readonly id: string; readonly name: string }
  readonly apiKey: string
  readonly users: readonly { readonly email: string; readonly password: string; readonly role: string }[]
}

export type DemoProgress = (message: string) => void

/**
 * The demo's files: a config serving on `port` with a SQLite store, the
 * generated warehouse and the project file. Files that exist are kept, so a
 * second run reuses the same world (and edits to project.yaml).
 */
export async function prepareDemoFiles(dir: string, port: number, progress: DemoProgress): Promise<DemoFiles> {
  const absolute = resolve(dir)
  mkdirSync(absolute, { recursive: true })
  const files: DemoFiles = {
    dir: absolute,
    configPath: join(absolute, 'gatehouse.yaml'),
    projectPath: join(absolute, 'project.yaml'),
    warehousePath: join(absolute, 'warehouse.duckdb'),
  }
  if (!existsSync(files.configPath)) {
    writeFileSync(
      files.configPath,
      [
        `# Written by \`gatehouse demo\`. Serve it again with: gatehouse serve --config ${files.configPath}`,
        'server:',
        `  port: ${port}`,
        'store:',
        '  url: sqlite:./state.db',
        '',
      ].join('\n'),
    )
  }
  if (!existsSync(files.warehousePath)) {
    progress('Generating the acme sample warehouse (DuckDB)…')
    await createDemoWarehouse(files.warehousePath, {
      onProgress: (step) => progress(`  ${step.table}: ${step.rows.toLocaleString('en-US')} rows`),
    })
  }
  if (!existsSync(files.projectPath)) copyFileSync(DEMO_PROJECT_TEMPLATE, files.projectPath)
  return files
}

/**
 * The demo's organization, users, tenants, project and a fresh API key. Idempotent:
 * what exists is reused; the users get new passwords and a new key is minted
 * on each run, since both are shown only once.
 */
export async function prepareDemoWorld(
  store: Store,
  audit: AuditSink,
  files: DemoFiles,
  options: { statementTimeoutMs: number; progress: DemoProgress },
): Promise<DemoWorld> {
  const org = (await store.orgs.findByRef(DEMO_ORG)) ?? (await store.orgs.create(DEMO_ORG))
  const users: { email: string; password: string; role: string }[] = []
  for (const user of DEMO_USERS) {
    const password = randomBase62(16)
    const passwordHash = await hashPassword(password)
    const member = await store.users.findMember(org.id, user.email)
    if (member === undefined) {
      await store.users.createMember(org.id, { email: user.email, name: user.name, role: user.role, passwordHash })
    } else {
      await store.users.setPasswordHash(member.userId, passwordHash)
    }
    users.push({ email: user.email, password, role: user.role })
  }
  for (const tenant of DEMO_TENANTS) {
    if ((await store.tenants.findByRef(org.id, tenant.name)) === undefined) {
      await store.tenants.create(org.id, { name: tenant.name, attributes: { tenant_id: tenant.tenantId } })
    }
  }
  options.progress('Applying the project (connections, domains, tools, security policies)…')
  const project = loadProjectFile(files.projectPath, { reservedToolNames: BUILTIN_TOOLS.map((t) => t.name) })
  const applied = await applyProject(store, org.id, project, {
    file: files.projectPath,
    appliedBy: null,
    env: process.env,
    statementTimeoutMs: options.statementTimeoutMs,
  })
  const permissions = parsePermissions(DEMO_KEY_PERMISSIONS)
  if (!permissions.ok) throw new Error(permissions.error)
  const { key } = await new ApiKeyService(store, audit).create({
    orgId: org.id,
    userEmail: DEMO_USERS[0].email,
    name: `demo ${new Date().toISOString()}`,
    projects: [applied.project.id],
    domains: [],
    permissions: permissions.value,
    expires: '90d',
    admin: false,
    createdBy: 'gatehouse demo',
  })
  return {
    org: { id: org.id, name: org.name },
    project: { id: applied.project.id, name: applied.project.name },
    apiKey: key,
    users,
  }
}
