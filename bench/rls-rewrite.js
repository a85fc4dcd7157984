// SPEC §9 / issue 6: what row-level security costs per query, before the engine runs anything.
//
//   npm run build && node bench/rls-rewrite.js     (env: BENCH_ITERATIONS=2000, BENCH_COLD_ITERATIONS=300 per query)
//
// Ten ordinary analytics queries over the demo warehouse (`gatehouse demo`: 120,000 orders), under the demo
// project's `tenant_scoped` policy as the server resolves it for a tenant's project token (row rule
// `tenant_id = {{ tenant_id }}` on every table with a tenant_id, shared tables whole, a hidden column, a hidden
// table). Measured in one run, per query, median and p99 in microseconds:
//   DuckDB      parse   `json_serialize_sql` round trip + JSON.parse of the tree (what the guard already pays)
//               cold    `DuckDbEngine.rewrite` the first time the query's text is seen under this shape of
//                       restrictions (parse, guard, rewrite, write back, re-parse check): a new plan
//               warm    the same call again: the plan comes from the rewriter's cache, only values are bound
//   PostgreSQL  parse   libpg-query alone
//               cold    `PostgresPlanCache.rewrite` (what `PostgresEngine.rewrite` calls once it knows the
//                       database and default schema) on a new text: parse, guard, rewrite, print, re-parse check
//               warm    the same call again: the plan comes from the cache, only values are bound
import { performance } from 'node:perf_hooks'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { createDemoWarehouse } from '../dist/data/engines/duckdb/demo-warehouse.js'
import { DuckDbEngine } from '../dist/data/engines/duckdb/duckdb-engine.js'
import { parsePostgres } from '../dist/data/sql/postgres/postgres-parser.js'
import { PostgresPlanCache } from '../dist/data/sql/postgres/postgres-plan-cache.js'
import { demoRestrictions } from './lib/demo-security.js'
import { percentiles } from './lib/samples.js'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000)
const COLD_ITERATIONS = Number(process.env.BENCH_COLD_ITERATIONS ?? 300)
const GUARD = { allowParameters: false }
const QUERIES = [
  'SELECT 1',
  'SELECT count(*) FROM orders',
  'SELECT region, sum(amount) FROM orders GROUP BY region ORDER BY 2 DESC',
  'SELECT c.name, sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.name LIMIT 10',
  'SELECT p.category, count(*) FROM orders o JOIN products p ON p.id = o.product_id GROUP BY 1',
  'WITH big AS (SELECT customer_id, sum(amount) AS total FROM orders GROUP BY 1) SELECT * FROM big WHERE total > 100',
  'SELECT id, amount, rank() OVER (PARTITION BY region ORDER BY amount DESC) FROM orders',
  'SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.amount > 50)',
  'SELECT region FROM orders UNION SELECT region FROM customers',
  "SELECT date_trunc('month', ordered_at) AS m, avg(amount) FROM orders WHERE region IN ('EMEA', 'NA') GROUP BY 1 ORDER BY 1",
]

async function time(iterations, fn) {
  const samples = []
  for (let i = 0; i < iterations; i++) {
    const start = performance.now()
    await fn(i)
    samples.push((performance.now() - start) * 1000)
  }
  return samples
}

/** Each cold call sees a text the plan cache has never held; a comment changes the text, not the tree. */
let coldSerial = 0
const fresh = (sql) => `${sql} /* ${coldSerial++} */`

const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-rls-'))
const warehouse = join(work, 'warehouse.duckdb')
await createDemoWarehouse(warehouse, {})
const engine = await DuckDbEngine.open(warehouse)
const parser = await DuckDBInstance.create(':memory:')
const parserConnection = await parser.connect()
try {
  const restrictions = await demoRestrictions(engine, 'tenant')
  const serialize = await parserConnection.prepare('SELECT json_serialize_sql($1::VARCHAR)')
  const parseDuckDb = async (sql) => {
    serialize.bindVarchar(1, sql)
    JSON.parse(String((await serialize.runAndReadAll()).getRows()[0][0]))
  }
  const rewriteDuckDb = (sql) => engine.rewrite(sql, { restrictions, guard: GUARD })
  // The PostgreSQL rewriter reads the same restrictions; the demo's tables are in schema `main`.
  const pgPlans = new PostgresPlanCache()
  const pgOptions = { restrictions, guard: GUARD, database: 'warehouse', defaultSchema: 'main' }
  const rewritePg = (sql) => pgPlans.rewrite(sql, pgOptions)

  // Warm-up: JIT, libpg-query's WASM module, the rewriter's once-per-engine work (catalog, rules, table checks).
  for (const sql of QUERIES) {
    for (let i = 0; i < 30; i++) {
      await rewriteDuckDb(fresh(sql))
      await rewritePg(fresh(sql))
    }
    for (let i = 0; i < 200; i++) {
      await parseDuckDb(sql)
      await rewriteDuckDb(sql)
      await rewritePg(sql)
    }
  }

  const rows = []
  const all = { duckParse: [], cold: [], warm: [], pgParse: [], pgCold: [], pgWarm: [] }
  for (const sql of QUERIES) {
    const samples = {
      duckParse: await time(ITERATIONS, () => parseDuckDb(sql)),
      cold: await time(COLD_ITERATIONS, () => rewriteDuckDb(fresh(sql))),
      warm: await (async () => {
        await rewriteDuckDb(sql) // the cold runs above may have evicted this query's plan
        return time(ITERATIONS, () => rewriteDuckDb(sql))
      })(),
      pgParse: await time(ITERATIONS, () => parsePostgres(sql)),
      pgCold: await time(COLD_ITERATIONS, () => rewritePg(fresh(sql))),
      pgWarm: await (async () => {
        await rewritePg(sql)
        return time(ITERATIONS, () => rewritePg(sql))
      })(),
    }
    for (const [name, s] of Object.entries(samples)) all[name].push(...s)
    rows.push({ sql, ...Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, percentiles(s)])) })
  }

  const f = (n) => Math.round(n).toLocaleString('en-US')
  const cells = (r) =>
    [
      r.duckParse.p50,
      r.cold.p50,
      r.cold.p99,
      r.warm.p50,
      r.warm.p99,
      r.pgParse.p50,
      r.pgCold.p50,
      r.pgCold.p99,
      r.pgWarm.p50,
      r.pgWarm.p99,
    ]
      .map(f)
      .join(' | ')
  console.log(
    `### rls-rewrite (demo warehouse, tenant_scoped; Node ${process.version}; ${ITERATIONS} iterations per query, ` +
      `${COLD_ITERATIONS} cold)\n`,
  )
  console.log(
    '| query | DuckDB parse p50 µs | cold rewrite p50 | cold p99 | warm rewrite p50 | warm p99 | ' +
      'PostgreSQL parse p50 | cold rewrite p50 | cold p99 | warm rewrite p50 | warm p99 |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    const short = r.sql.length > 60 ? `${r.sql.slice(0, 57)}…` : r.sql
    console.log(`| \`${short}\` | ${cells(r)} |`)
  }
  const total = Object.fromEntries(Object.entries(all).map(([name, s]) => [name, percentiles(s)]))
  console.log(`| **all** | ${cells(total)} |`)
  console.log(
    `\nDuckDB: a new query costs ${f(total.cold.p50 - total.duckParse.p50)} µs (median) over the parse the guard ` +
      `already pays; a repeated one ${f(total.warm.p50)} µs in all. PostgreSQL: a new query ` +
      `${f(total.pgCold.p50 - total.pgParse.p50)} µs over the parse; a repeated one ${f(total.pgWarm.p50)} µs in all.`,
  )
} finally {
  parserConnection.closeSync()
  parser.closeSync()
  await engine.close()
  rmSync(work, { recursive: true, force: true })
}
