import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { createDemoWarehouse } from '../../src/data/engines/duckdb/demo-warehouse.js'
import { projectFileFromObject } from '../../src/config/load-project-file.js'
import { applyProject } from '../../src/data/project/apply-project.js'
import type { Store } from '../../src/store/store.js'
import type { Fixture } from './test-server.js'
import { loadWarehouseIntoPostgres } from './postgres-warehouse.js'

export type DataEngine = 'duckdb' | 'postgres'
export const DATA_ENGINES: readonly DataEngine[] = ['duckdb', 'postgres']

export const DEMO_PROJECT_FILE = new URL('../../examples/demo/project.yaml', import.meta.url)

export interface Warehouse extends AsyncDisposable {
  readonly dir: string
  /** The generated DuckDB file: the reference every result is checked against. */
  readonly duckdbPath: string
  /** Environment the server resolves `${WAREHOUSE_URL}` from (PostgreSQL). */
  readonly env: Record<string, string>
  /** The demo project file, its connection pointed at `engine`. */
  readonly project: Record<string, unknown>
  close(): Promise<void>
}

/** The demo warehouse (small), on DuckDB or loaded into a fresh PostgreSQL database behind a read-only role. */
export async function demoWarehouse(engine: DataEngine, orders = 3_000): Promise<Warehouse> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-wh-'))
  const duckdbPath = join(dir, 'warehouse.duckdb')
  await createDemoWarehouse(duckdbPath, { orders })
  const project = parse(readFileSync(DEMO_PROJECT_FILE, 'utf8')) as Record<string, unknown>
  let env: Record<string, string> = {}
  let drop = async () => {}
  if (engine === 'postgres') {
    const pg = await loadWarehouseIntoPostgres(duckdbPath)
    env = { WAREHOUSE_URL: pg.url }
    drop = () => pg.drop()
    project.connections = [
      {
        name: 'warehouse',
        engine: 'postgres',
        url: '${WAREHOUSE_URL}',
        description: 'Acme retail warehouse (PostgreSQL)',
      },
    ]
  }
  const close = async () => {
    await drop()
    rmSync(dir, { recursive: true, force: true })
  }
  return { dir, duckdbPath, env, project, close, [Symbol.asyncDispose]: close }
}

/** Validates and applies the warehouse's project to the fixture's org, as `gatehouse apply` does. */
export async function applyDemoProject(store: Store, fixture: Fixture, warehouse: Warehouse): Promise<void> {
  const file = projectFileFromObject(warehouse.project, 'project.yaml', warehouse.dir, { reservedToolNames: [] })
  await applyProject(store, fixture.orgId, file, {
    file: 'project.yaml',
    appliedBy: null,
    env: warehouse.env,
    statementTimeoutMs: 10_000,
  })
}
