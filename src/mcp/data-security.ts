import type { ConnectionDefinition } from '../config/project-file-schema.js'
import type { Engine, TableInfo } from '../data/engine.js'
import type { LoadedProject } from '../data/project/loaded-project.js'
import type { ConnectionRestrictions, SessionValues } from '../data/sql/restrictions.js'
import { grantedAccess } from '../authz/access-policy.js'
import type { CatalogView } from '../authz/access-policy.js'
import { policiesFor } from '../authz/data-access.js'
import type { Principal } from '../domain/principal.js'
import type { ToolContext } from './tool-definition.js'

/** What a principal may see of one connection, resolved against its catalog (SPEC §5 SLS/RLS). */
export interface ConnectionAccess {
  /** For the rewriters: visible tables, columns and row predicates, and the SQL functions' values. */
  readonly restrictions: ConnectionRestrictions
  /** The visible tables, each with its visible columns only, in catalog order: the catalog as the principal sees it. */
  readonly tables: readonly TableInfo[]
  /** The whole catalog in the policies' terms (lower-case names). */
  readonly catalog: CatalogView
}

/** A live PostgreSQL catalog is read again after this long; DuckDB files are read-only and cache their own. */
const CATALOG_TTL_MS = 30_000

/**
 * The principal's view of `connection`: the applied policies (SPEC §3.2)
 * resolved against the engine's catalog. Kept per principal (principals are
 * cached with their credential) while the definition and the catalog stay
 * the same. `options.externalToken` (custom tools only) makes
 * `get_user_external_token()` exist, with that value.
 */
export async function connectionAccess(
  ctx: ToolContext,
  project: LoadedProject,
  connection: ConnectionDefinition,
  engine: Engine,
  options: { readonly externalToken?: string | null } = {},
): Promise<ConnectionAccess> {
  const [tables, defaultSchema] = await Promise.all([catalogTables(engine), engine.defaultSchema()])
  const key = `${project.id}/${project.digest}/${connection.name}`
  let byConnection = resolved.get(ctx.principal)
  if (byConnection === undefined) resolved.set(ctx.principal, (byConnection = new Map()))
  let entry = byConnection.get(key)
  if (entry === undefined || entry.tables !== tables || entry.access.catalog.defaultSchema !== defaultSchema) {
    entry = { tables, access: resolve(ctx.principal, project, connection, defaultSchema, tables) }
    byConnection.set(key, entry)
  }
  const access = entry.access
  return { ...access, restrictions: { ...access.restrictions, session: sessionValues(ctx, options) } }
}

/** A principal's access to one connection, for the catalog it was resolved against (without the call's session). */
interface Resolved {
  readonly tables: readonly TableInfo[]
  readonly access: ConnectionAccess
}

const resolved = new WeakMap<Principal, Map<string, Resolved>>()

function resolve(
  principal: Principal,
  project: LoadedProject,
  connection: ConnectionDefinition,
  defaultSchema: string,
  tables: readonly TableInfo[],
): ConnectionAccess {
  const catalog: CatalogView = {
    defaultSchema: defaultSchema.toLowerCase(),
    tables: tables.map((t) => ({
      schema: t.schema.toLowerCase(),
      name: t.name.toLowerCase(),
      columns: t.columns.map((c) => c.name.toLowerCase()),
    })),
  }
  const grant = grantedAccess(policiesFor(principal, project.definition), new Map([[connection.name, catalog]]))
  const restrictions: ConnectionRestrictions = grant.get(connection.name) ?? { tables: new Map() }
  const visible = tables.flatMap((table) => {
    const restriction = restrictions.tables.get(`${table.schema}.${table.name}`.toLowerCase())
    if (restriction === undefined) return []
    const columns = new Set(restriction.alternatives.flatMap((a) => a.columns))
    return [{ ...table, columns: table.columns.filter((c) => columns.has(c.name.toLowerCase())) }]
  })
  return { restrictions, tables: visible, catalog }
}

const catalogs = new WeakMap<Engine, { readonly at: number; readonly tables: Promise<TableInfo[]> }>()

/** The engine's catalog, read at most every 30 s (DuckDB's own cache makes repeated reads free). */
async function catalogTables(engine: Engine): Promise<TableInfo[]> {
  const now = Date.now()
  let cached = catalogs.get(engine)
  if (cached === undefined || now - cached.at > CATALOG_TTL_MS) {
    const tables = engine.tables()
    cached = { at: now, tables }
    catalogs.set(engine, cached)
    const entry = cached
    tables.catch(() => catalogs.get(engine) === entry && catalogs.delete(engine))
  }
  return cached.tables
}

/** The values of SPEC §5's SQL functions for this call. */
function sessionValues(ctx: ToolContext, options: { readonly externalToken?: string | null }): SessionValues {
  const p = ctx.principal
  return {
    username: p.name ?? p.email ?? p.endUserId ?? null,
    userEmail: p.email ?? null,
    userId: p.userId ?? p.endUserId ?? null,
    orgId: p.orgId,
    tenantId: p.tenantId ?? null,
    ...(options.externalToken !== undefined && { externalToken: options.externalToken }),
    headers: ctx.requestHeaders ?? NO_HEADERS,
  }
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map()
