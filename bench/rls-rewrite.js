// SPEC §9 / issue 6: what row-level security costs per query, before the engine runs anything.
//
//   node bench/rls-rewrite.js            (env: BENCH_ITERATIONS=2000 per query)
//
// For a set of ordinary analytics queries over a multi-tenant schema, measures in one run, per query:
//   parse      the engine parser alone (what the dev-mode guard already pays)
//   rewrite    parse + RLS/SLS rewrite + print + re-parse check (what RLS adds on top is rewrite − parse)
// and prints the median and p99 in microseconds, per query and over all of them. PostgreSQL only for now
// (libpg-query + pgsql-deparser, in-process); the DuckDB rewriter asks the engine to parse and print.
import { performance } from 'node:perf_hooks'
import { parsePostgres } from '../dist/data/sql/postgres/postgres-parser.js'
import { rewritePostgresSql } from '../dist/data/sql/postgres/postgres-rewriter.js'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000)
const COLUMNS = {
  'public.orders': ['id', 'tenant_id', 'customer_id', 'product_id', 'region', 'amount', 'ordered_at'],
  'public.customers': ['id', 'tenant_id', 'name', 'email', 'country'],
  'public.products': ['id', 'name', 'category', 'price'],
}
const alternative = (table, predicate) => ({
  policy: 'tenant_scoped',
  rules: predicate === null ? [] : ['by_tenant'],
  columns: COLUMNS[table].filter((c) => c !== 'email'),
  predicate,
})
const tenant = { sql: 'tenant_id = $1', values: [1] }
const restrictions = {
  tables: new Map(
    Object.keys(COLUMNS).map((key) => {
      const [schema, table] = key.split('.')
      return [key, { schema, table, alternatives: [alternative(key, table === 'products' ? null : tenant)] }]
    }),
  ),
}
const QUERIES = [
  'SELECT 1',
  'SELECT count(*) FROM orders',
  'SELECT region, sum(amount) FROM orders GROUP BY region ORDER BY 2 DESC',
  'SELECT c.name, sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.name LIMIT 10',
  'SELECT p.category, count(*) FROM orders o JOIN products p ON p.id = o.product_id GROUP BY 1',
  'WITH big AS (SELECT customer_id, sum(amount) AS total FROM orders GROUP BY 1) SELECT * FROM big WHERE total > 100',
  'SELECT id, amount, rank() OVER (PARTITION BY region ORDER BY amount DESC) FROM orders',
  'SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.amount > 50)',
  'SELECT region FROM orders UNION SELECT country FROM customers',
  "SELECT date_trunc('month', ordered_at) AS m, avg(amount) FROM orders WHERE region IN ('EMEA', 'NA') GROUP BY 1 ORDER BY 1",
]

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { median: at(0.5), p99: at(0.99) }
}

async function time(fn) {
  const samples = []
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now()
    await fn()
    samples.push((performance.now() - start) * 1000)
  }
  return samples
}

const options = { database: 'warehouse', defaultSchema: 'public' }
for (const sql of QUERIES) {
  // Warm-up: JIT and the parser's WASM module.
  for (let i = 0; i < 200; i++) await rewritePostgresSql(sql, restrictions, options)
}
const rows = []
const allParse = []
const allRewrite = []
for (const sql of QUERIES) {
  const parse = await time(() => parsePostgres(sql))
  const rewrite = await time(() => rewritePostgresSql(sql, restrictions, options))
  allParse.push(...parse)
  allRewrite.push(...rewrite)
  rows.push({ sql, parse: stats(parse), rewrite: stats(rewrite) })
}
const f = (n) => n.toFixed(0)
console.log(`### rls-rewrite (PostgreSQL, Node ${process.version}, ${ITERATIONS} iterations per query)\n`)
console.log('| query | parse median µs | rewrite median µs | rewrite p99 µs |')
console.log('|---|---:|---:|---:|')
for (const r of rows) {
  const short = r.sql.length > 70 ? `${r.sql.slice(0, 67)}…` : r.sql
  console.log(`| \`${short}\` | ${f(r.parse.median)} | ${f(r.rewrite.median)} | ${f(r.rewrite.p99)} |`)
}
const p = stats(allParse)
const w = stats(allRewrite)
console.log(`| **all** | ${f(p.median)} | ${f(w.median)} | ${f(w.p99)} |`)
console.log(`\nrewrite cost over the parse the guard already does: median ${f(w.median - p.median)} µs per query`)
