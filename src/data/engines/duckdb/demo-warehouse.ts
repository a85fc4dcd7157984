import { existsSync } from 'node:fs'
import { link, rename, rm } from 'node:fs/promises'
import { DuckDBInstance } from '@duckdb/node-api'
import { GatehouseError } from '../../../domain/errors.js'
import { DEMO_TABLES } from './demo-warehouse-tables.js'

export interface DemoWarehouseStep {
  readonly table: string
  readonly rows: number
}

export interface DemoWarehouseOptions {
  /** Rows in `orders`; 120,000 by default. */
  readonly orders?: number
  /** The same seed gives the same rows, on the same DuckDB build; 42 by default. */
  readonly seed?: number
  /** Called once each table is filled. */
  readonly onProgress?: (step: DemoWarehouseStep) => void
}

export interface DemoWarehouseSummary {
  readonly path: string
  readonly tables: readonly DemoWarehouseStep[]
}

const MAX_ORDERS = 100_000_000

/**
 * Writable, since this creates the file, but otherwise as locked down as a
 * served database: generation reads and writes nothing but its own file.
 * Insertion order is kept, so that a seed fixes the physical row order too.
 */
const GENERATOR_CONFIG: Readonly<Record<string, string>> = {
  access_mode: 'READ_WRITE',
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  preserve_insertion_order: 'true',
  lock_configuration: 'true',
}

/**
 * Creates the "acme" demo warehouse, a new DuckDB file at `path`: tenants,
 * regions, customers, products, orders and audit_trail in schema `main`. An
 * existing file is never touched. The data is written to `path.tmp` and moved
 * into place only once complete, so `path` is either absent or whole.
 */
export async function createDemoWarehouse(
  path: string,
  options: DemoWarehouseOptions = {},
): Promise<DemoWarehouseSummary> {
  const orders = options.orders ?? 120_000
  const seed = options.seed ?? 42
  if (!Number.isSafeInteger(orders) || orders < 1 || orders > MAX_ORDERS) {
    throw new GatehouseError('INPUT_INVALID', `The number of orders must be an integer from 1 to ${MAX_ORDERS}`)
  }
  if (!Number.isSafeInteger(seed)) throw new GatehouseError('INPUT_INVALID', 'The seed must be an integer')
  if (existsSync(path)) {
    throw new GatehouseError('CONFLICT', `${path} already exists; the demo warehouse is only written to a new file`)
  }
  const temp = `${path}.tmp`
  // A leftover could be another generation still running; only a person can tell, so it is never removed here.
  if (existsSync(temp) || existsSync(`${temp}.wal`)) {
    throw new GatehouseError(
      'CONFLICT',
      `${temp} already exists: another generation is running, or an interrupted one left it (delete it then)`,
    )
  }

  try {
    const tables = await generate(temp, orders, seed, options.onProgress)
    await publish(temp, path)
    return { path, tables }
  } catch (error) {
    await Promise.all([rm(temp, { force: true }), rm(`${temp}.wal`, { force: true })])
    if (error instanceof GatehouseError) throw error
    throw new GatehouseError('INTERNAL', `The demo warehouse ${path} could not be created`, {
      cause: error,
      detail: (error as Error).message,
    })
  }
}

async function generate(
  file: string,
  orders: number,
  seed: number,
  onProgress: DemoWarehouseOptions['onProgress'],
): Promise<DemoWarehouseStep[]> {
  const instance = await DuckDBInstance.create(file, { ...GENERATOR_CONFIG })
  try {
    const connection = await instance.connect()
    try {
      // Session variables, not splicing: the fill statements read them with getvariable().
      await connection.run('SET VARIABLE demo_seed = $1::BIGINT', [seed])
      await connection.run('SET VARIABLE demo_orders = $1::BIGINT', [orders])
      const steps: DemoWarehouseStep[] = []
      for (const table of DEMO_TABLES) {
        await connection.run(table.create)
        const step = { table: table.name, rows: (await connection.run(table.fill)).rowsChanged }
        steps.push(step)
        onProgress?.(step)
      }
      // Everything into the file itself: a moved file must not depend on a WAL left beside the old name.
      await connection.run('CHECKPOINT')
      return steps
    } finally {
      connection.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

/**
 * A hard link fails when `path` exists, where a rename would replace it: a
 * file created at `path` during generation survives. Filesystems without hard
 * links fall back to a rename after one more check.
 */
async function publish(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      throw new GatehouseError('CONFLICT', `${path} already exists; the demo warehouse is only written to a new file`)
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error
    if (existsSync(path)) {
      throw new GatehouseError('CONFLICT', `${path} already exists; the demo warehouse is only written to a new file`)
    }
    await rename(temp, path)
    return
  }
  await rm(temp)
}
