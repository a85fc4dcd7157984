import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoWarehouse } from './demo-warehouse.js'
import type { DemoWarehouseOptions, DemoWarehouseStep, DemoWarehouseSummary } from './demo-warehouse.js'
import { DuckDbEngine } from './duckdb-engine.js'

const TABLES = ['tenants', 'regions', 'customers', 'products', 'orders', 'audit_trail']

/** Row count and a digest of every row in physical order, per table. */
async function fingerprint(path: string): Promise<Record<string, unknown>> {
  const engine = await DuckDbEngine.open(path)
  try {
    const result: Record<string, unknown> = {}
    for (const table of TABLES) {
      const { rows } = await engine.query(
        `SELECT count(*), md5(string_agg(t::VARCHAR, chr(10) ORDER BY t.rowid)) FROM main.${table} t`,
        { maxRows: 1 },
      )
      result[table] = rows[0]
    }
    return result
  } finally {
    await engine.close()
  }
}

async function scalar(path: string, sql: string): Promise<unknown> {
  const engine = await DuckDbEngine.open(path)
  try {
    return (await engine.query(sql, { maxRows: 1 })).rows[0]?.[0]
  } finally {
    await engine.close()
  }
}

describe('createDemoWarehouse', () => {
  let dir: string
  let path: string
  let summary: DemoWarehouseSummary
  const progress: DemoWarehouseStep[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'))
    path = join(dir, 'acme.duckdb')
    summary = await createDemoWarehouse(path, { orders: 2_000, onProgress: (step) => progress.push(step) })
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the six tables, reporting each one as it is filled', () => {
    const expected = [
      { table: 'tenants', rows: 4 },
      { table: 'regions', rows: 4 },
      { table: 'customers', rows: 5_000 },
      { table: 'products', rows: 200 },
      { table: 'orders', rows: 2_000 },
      { table: 'audit_trail', rows: 1_000 },
    ]
    expect(summary).toEqual({ path, tables: expected })
    expect(progress).toEqual(expected)
    expect(existsSync(`${path}.tmp`)).toBe(false)
    expect(existsSync(`${path}.tmp.wal`)).toBe(false)
  })

  it('opens read-only with DuckDbEngine, with the documented columns', async () => {
    await using engine = await DuckDbEngine.open(path)
    const tables = await engine.tables()
    expect(
      Object.fromEntries(tables.map((t) => [`${t.schema}.${t.name}`, t.columns.map((c) => `${c.name} ${c.type}`)])),
    ).toEqual({
      'main.audit_trail': ['id INTEGER', 'tenant_id VARCHAR', 'actor VARCHAR', 'action VARCHAR', 'at TIMESTAMP'],
      'main.customers': [
        'id INTEGER',
        'tenant_id VARCHAR',
        'name VARCHAR',
        'email VARCHAR',
        'phone VARCHAR',
        'region VARCHAR',
        'created_at TIMESTAMP',
      ],
      'main.orders': [
        'id BIGINT',
        'tenant_id VARCHAR',
        'customer_id INTEGER',
        'product_id INTEGER',
        'region VARCHAR',
        'status VARCHAR',
        'quantity INTEGER',
        'amount DECIMAL(12,2)',
        'ordered_at TIMESTAMP',
      ],
      'main.products': ['id INTEGER', 'name VARCHAR', 'category VARCHAR', 'price DECIMAL(10,2)'],
      'main.regions': ['code VARCHAR', 'name VARCHAR'],
      'main.tenants': ['tenant_id VARCHAR', 'name VARCHAR', 'plan VARCHAR', 'created_at TIMESTAMP'],
    })
    expect(tables.flatMap((t) => t.columns).every((c) => !c.nullable)).toBe(true)
  })

  it('gives identical rows, in the same order, for the same seed', async () => {
    const again = join(dir, 'again.duckdb')
    await createDemoWarehouse(again, { orders: 2_000 })
    expect(await fingerprint(again)).toEqual(await fingerprint(path))
  })

  it('gives other rows for another seed', async () => {
    const other = join(dir, 'other-seed.duckdb')
    await createDemoWarehouse(other, { orders: 2_000, seed: 7 })
    const [a, b] = [await fingerprint(path), await fingerprint(other)]
    for (const table of ['customers', 'products', 'orders', 'audit_trail']) expect(b[table]).not.toEqual(a[table])
  })

  it("keeps every order within its customer's tenant and region", async () => {
    const sql = `SELECT count(*) FROM main.orders o JOIN main.customers c ON c.id = o.customer_id
                  WHERE o.tenant_id = c.tenant_id AND o.region = c.region`
    expect(await scalar(path, sql)).toBe(2_000)
  })

  it.each([
    ['every order names a product', 'SELECT count(*) FROM main.orders o JOIN main.products p ON p.id = o.product_id'],
    [
      'amounts are price times quantity, less a discount of 0, 5, 10 or 20 % (to the cent)',
      `SELECT count(*) FROM main.orders o JOIN main.products p ON p.id = o.product_id
        WHERE o.amount IN (SELECT round(p.price * o.quantity * d, 2) FROM unnest([1.00, 0.95, 0.90, 0.80]) t(d))`,
    ],
    [
      'orders fall in 2024 and 2025',
      "SELECT count(*) FROM main.orders WHERE ordered_at >= '2024-01-01' AND ordered_at < '2026-01-01'",
    ],
    [
      'statuses come from the documented set',
      "SELECT count(*) FROM main.orders WHERE status IN ('completed', 'shipped', 'pending', 'cancelled', 'refunded')",
    ],
  ])('keeps the data consistent: %s', async (_, sql) => {
    expect(await scalar(path, sql)).toBe(2_000)
  })

  it('gives every customer a distinct email and a known tenant and region', async () => {
    const sql = `SELECT count(DISTINCT email) FROM main.customers c
                  JOIN main.tenants t USING (tenant_id) JOIN main.regions r ON r.code = c.region`
    expect(await scalar(path, sql)).toBe(5_000)
  })

  it('refuses a path that exists and leaves that file untouched', async () => {
    const existing = join(dir, 'existing.duckdb')
    writeFileSync(existing, 'not a warehouse')
    await expect(createDemoWarehouse(existing, { orders: 10 })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(readFileSync(existing, 'utf8')).toBe('not a warehouse')
    expect(existsSync(`${existing}.tmp`)).toBe(false)
  })

  it('refuses while a temporary file of another generation exists, and leaves it', async () => {
    const target = join(dir, 'busy.duckdb')
    writeFileSync(`${target}.tmp`, 'in progress')
    await expect(createDemoWarehouse(target, { orders: 10 })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(readFileSync(`${target}.tmp`, 'utf8')).toBe('in progress')
    expect(existsSync(target)).toBe(false)
  })

  it('leaves neither the file nor its temporary file when generation fails', async () => {
    const target = join(dir, 'failed.duckdb')
    const failing: DemoWarehouseOptions = {
      orders: 10,
      onProgress: (step) => {
        if (step.table === 'products') throw new Error('interrupted')
      },
    }
    await expect(createDemoWarehouse(target, failing)).rejects.toMatchObject({ code: 'INTERNAL' })
    for (const leftover of [target, `${target}.tmp`, `${target}.tmp.wal`]) expect(existsSync(leftover)).toBe(false)
  })

  it.each([
    ['no orders', { orders: 0 }],
    ['a fraction of an order', { orders: 1.5 }],
    ['a seed that is not an integer', { seed: Number.NaN }],
  ])('refuses %s', async (_, options) => {
    const target = join(dir, 'invalid.duckdb')
    await expect(createDemoWarehouse(target, options)).rejects.toMatchObject({ code: 'INPUT_INVALID' })
    expect(existsSync(target)).toBe(false)
  })

  it('generates 120,000 orders by default', async () => {
    const full = join(dir, 'full.duckdb')
    const { tables } = await createDemoWarehouse(full)
    expect(Object.fromEntries(tables.map((t) => [t.table, t.rows]))).toEqual({
      tenants: 4,
      regions: 4,
      customers: 5_000,
      products: 200,
      orders: 120_000,
      audit_trail: 1_000,
    })
    expect(await scalar(full, 'SELECT count(*) FROM main.orders')).toBe(120_000)
  })
})
