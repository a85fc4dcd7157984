// The demo project's data security as the server resolves it, for benches that call an engine directly:
// the restrictions come from examples/demo/project.yaml through the real authz code (policiesFor,
// grantedAccess) against the engine's own catalog, for the demo's kinds of principal.
import { loadProjectFile } from '../../dist/config/load-project-file.js'
import { DEMO_PROJECT_TEMPLATE } from '../../dist/cli/demo/demo-setup.js'
import { grantedAccess } from '../../dist/authz/access-policy.js'
import { policiesFor } from '../../dist/authz/data-access.js'
import { BUILTIN_TOOLS } from '../../dist/mcp/tools/core-tools.js'

const BASE = {
  orgId: 'org_bench',
  projectIds: [],
  scopes: [],
  permissions: {},
  domainAccess: { mode: 'all' },
  attributes: {},
  groups: [],
  tokenId: 'bench',
  expiresAt: null,
}

/** The demo's principals: an org admin (`full_access`), a member (`analyst`) and a tenant's project token (`tenant_scoped`). */
export const DEMO_PRINCIPALS = {
  admin: { ...BASE, kind: 'api_key', role: 'admin', userId: 'usr_admin', email: 'admin@acme.example' },
  member: { ...BASE, kind: 'api_key', role: 'member', userId: 'usr_member', email: 'member@acme.example' },
  tenant: {
    ...BASE,
    kind: 'project_token',
    role: 'tenant_user',
    tenantId: 'ten_globex',
    tenantAttributes: { tenant_id: 't_globex' },
  },
}

/**
 * `ConnectionRestrictions` of the demo's `warehouse` connection for `who` (a key of DEMO_PRINCIPALS), with
 * the SQL functions' values as a request would carry them. `projectPath` defaults to the shipped demo project.
 */
export async function demoRestrictions(engine, who, projectPath = DEMO_PROJECT_TEMPLATE) {
  const principal = DEMO_PRINCIPALS[who]
  const project = loadProjectFile(projectPath, { reservedToolNames: BUILTIN_TOOLS.map((t) => t.name) })
  const tables = await engine.tables()
  const catalog = {
    defaultSchema: engine.kind === 'duckdb' ? 'main' : 'public',
    tables: tables.map((t) => ({
      schema: t.schema.toLowerCase(),
      name: t.name.toLowerCase(),
      columns: t.columns.map((c) => c.name.toLowerCase()),
    })),
  }
  const grant = grantedAccess(policiesFor(principal, project), new Map([['warehouse', catalog]]))
  const restrictions = grant.get('warehouse')
  if (restrictions === undefined) throw new Error(`the demo project gives ${who} no access to the warehouse`)
  const session = {
    username: principal.email ?? null,
    userEmail: principal.email ?? null,
    userId: principal.userId ?? null,
    orgId: principal.orgId,
    tenantId: principal.tenantId ?? null,
    headers: new Map(),
  }
  return { ...restrictions, session }
}
