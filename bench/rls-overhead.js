// What data security costs a query end to end: `run_sql` and `query` with row-level security on vs off,
// in one run, as ratios (SPEC §9: ratios in one run, not absolute times).
//
//   npm run build && node bench/rls-overhead.js [--postgres]
//     env: BENCH_ROUNDS=300 (DuckDB), BENCH_PG_ROUNDS=60, BENCH_PG_ADMIN_URL (a superuser URL; it also turns
//     PostgreSQL on; default with --postgres: GATEHOUSE_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
//
// On the demo world (`gatehouse demo`: 120,000 orders, 5,000 customers, four tenants), per engine:
//
// 1. Over MCP. A server on the demo project (lib/demo-principals-server.js, pinned to core 0); this process
//    (core 1) sends one call at a time over one keep-alive connection, every (call, principal) pair once per
//    round, so that drifts of the machine hit them alike. Principals, from the project's `security:`:
//      admin   an org admin's API key: `full_access`, whole tables ("off": still rewritten, into plain subqueries)
//      member  a member's API key: `analyst`, two columns and a table hidden, no row rule
//      tenant  globex's project token: `tenant_scoped`, row rule `tenant_id = {{ tenant_id }}` ("on")
// 2. In-process, the engine alone (no HTTP, auth, audit), interleaved the same way:
//      query()       `engine.query(sql, { guard })`: the dev-mode guard and the query, no rewrite at all
//      full          `engine.restrictedQuery` under the admin's restrictions, as the server resolves them
//                    (lib/demo-security.js)
//      tenant        the same under the tenant's restrictions
//      tenant as-is  the SQL the tenant's query is rewritten to, run by `engine.query` without guard or
//                    rewrite: tenant / as-is is what the machinery costs, as-is / query() what the filter does
//
// The tenant's queries read the same tables but aggregate fewer rows (globex has 48,246 of the 120,000
// orders): "on" does less work in the engine than "off", so the ratio is the rewrite's cost net of that.
// Each ratio is of medians, with its range over five consecutive blocks of rounds. Output: markdown tables
// and bench/results/rls-overhead.json. A non-200 answer or a tool error makes the run broken (exit 1).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { prepareDemoFiles } from '../dist/cli/demo/demo-setup.js'
import { DuckDbEngine } from '../dist/data/engines/duckdb/duckdb-engine.js'
import { PostgresEngine } from '../dist/data/engines/postgres/postgres-engine.js'
import { BENCH_DIR, SERVER_CORE, launch, onCore, stop, stopChildrenOnSignal } from './lib/harness.js'
import { pinThisProcessToLoadCore } from './lib/load-core.js'
import { toolCaller } from './lib/tool-caller.js'
import { percentiles } from './lib/samples.js'
import { MONTHLY_REVENUE_EMEA, REVENUE_BY_REGION } from './lib/demo-queries.js'
import { demoRestrictions } from './lib/demo-security.js'
import { loadDemoWarehouseIntoPostgres } from './lib/postgres-warehouse.js'

const { values: flags } = parseArgs({ options: { postgres: { type: 'boolean', default: false } } })
const PG_ADMIN_URL =
  process.env.BENCH_PG_ADMIN_URL ??
  (flags.postgres ? (process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres') : undefined)
const ROUNDS = { duckdb: Number(process.env.BENCH_ROUNDS ?? 300), postgres: Number(process.env.BENCH_PG_ROUNDS ?? 60) }
const BLOCKS = 5
const MAX_ROWS = 10_000 // the server's default `limits.max_rows`
const PRINCIPALS = ['admin', 'member', 'tenant']
const GLOBEX_CUSTOMER = 'SELECT min(id) FROM main.customers WHERE tenant_id = $1'

/** The SQL of the `run_sql` calls, also run in-process; `customer` is one of globex's, so every principal sees it. */
const sqlCalls = (customer) => [
  { name: 'point lookup', sql: `SELECT name, region FROM main.customers WHERE id = ${customer}` },
  { name: 'revenue by region (scan)', sql: 'SELECT region, sum(amount) FROM main.orders GROUP BY region' },
  {
    name: 'top customers (join)',
    sql:
      'SELECT c.name, sum(o.amount) AS revenue FROM main.orders o JOIN main.customers c ON c.id = o.customer_id ' +
      'GROUP BY c.name ORDER BY revenue DESC LIMIT 10',
  },
]

const mcpCalls = (customer) => [
  { name: 'list_projects (floor: HTTP + auth + audit)', tool: 'list_projects', args: {} },
  ...sqlCalls(customer).map((c) => ({
    name: `run_sql: ${c.name}`,
    tool: 'run_sql',
    args: { connection: 'warehouse', sql: c.sql },
  })),
  {
    name: 'query: revenue by region',
    tool: 'query',
    args: REVENUE_BY_REGION,
  },
  {
    name: 'query: monthly revenue, EMEA, 2025, with a join',
    tool: 'query',
    args: MONTHLY_REVENUE_EMEA,
  },
]

/**
 * Runs `rounds` rounds after a tenth as many of warm-up; each round calls every `(item, variant)` once,
 * the variants of an item one after the other.
 * Returns the samples (ms) by item name, then variant.
 */
async function interleaved(rounds, items, variants, call) {
  const samples = new Map(items.map((item) => [item.name, new Map(variants.map((v) => [v, []]))]))
  const warmup = Math.max(5, Math.ceil(rounds / 10))
  for (let round = 0; round < rounds + warmup; round++) {
    for (const item of items) {
      // The variants take turns at going first: the first call after another item pays for what that left behind.
      for (let v = 0; v < variants.length; v++) {
        const variant = variants[(round + v) % variants.length]
        const ms = await call(item, variant)
        if (round >= warmup) samples.get(item.name).get(variant).push(ms)
      }
    }
  }
  return samples
}

/** The ratio of medians `on / off` over all rounds, and its least and greatest over consecutive blocks. */
function ratio(on, off) {
  const median = (s) => percentiles(s).p50
  const size = Math.floor(on.length / BLOCKS)
  const blocks = Array.from({ length: BLOCKS }, (_, b) => {
    const part = (s) => s.slice(b * size, (b + 1) * size)
    return median(part(on)) / median(part(off))
  })
  return { ratio: median(on) / median(off), low: Math.min(...blocks), high: Math.max(...blocks) }
}

const ms = (n) => (n < 10 ? n.toFixed(2) : n.toFixed(1))
const times = (r) => `${r.ratio.toFixed(2)}× (${r.low.toFixed(2)} … ${r.high.toFixed(2)})`

function table(title, samples, variants, comparisons) {
  const lines = [`\n#### ${title}\n`]
  const header = [
    ...variants.flatMap((v) => [`${v} p50`, `${v} p99`]),
    ...comparisons.map(([on, off]) => `${on} / ${off} (p50)`),
  ]
  lines.push(`| call | ${header.join(' | ')} |`, `|---|${header.map(() => '---:').join('|')}|`)
  const rows = []
  for (const [name, byVariant] of samples) {
    const stats = Object.fromEntries(variants.map((v) => [v, percentiles(byVariant.get(v))]))
    const ratios = Object.fromEntries(
      comparisons.map(([on, off]) => [`${on}/${off}`, ratio(byVariant.get(on), byVariant.get(off))]),
    )
    rows.push({ call: name, stats, ratios })
    const cells = [
      ...variants.flatMap((v) => [ms(stats[v].p50), ms(stats[v].p99)]),
      ...Object.values(ratios).map(times),
    ]
    lines.push(`| ${name} | ${cells.join(' | ')} |`)
  }
  console.log(lines.join('\n'))
  return rows
}

async function measureMcp(engine, work, projectPath, calls, pin) {
  const credentialsFile = join(work, `credentials-${engine}.json`)
  const { child, url } = await launch(
    onCore(pin, SERVER_CORE, [
      process.execPath,
      join(BENCH_DIR, 'lib', 'demo-principals-server.js'),
      '--dir',
      work,
      '--project',
      projectPath,
      '--credentials-file',
      credentialsFile,
    ]),
    { timeoutMs: 120_000 },
  )
  const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8'))
  const caller = toolCaller(url)
  try {
    // The row rule must be visible in the answers, or "on" would measure nothing.
    const scan = calls.find((c) => c.name.startsWith('run_sql: revenue'))
    const rowsOf = async (who) => JSON.stringify((await caller.call(credentials[who], scan.tool, scan.args)).result)
    if ((await rowsOf('tenant')) === (await rowsOf('admin'))) throw new Error('the tenant sees what the admin sees')
    const samples = await interleaved(ROUNDS[engine], calls, PRINCIPALS, async (call, who) => {
      return (await caller.call(credentials[who], call.tool, call.args)).ms
    })
    return table(
      `${engine}, over MCP (${ROUNDS[engine]} rounds, one connection${pin ? ', server core 0, client core 1' : ', unpinned'}); ms`,
      samples,
      PRINCIPALS,
      [
        ['tenant', 'admin'],
        ['member', 'admin'],
      ],
    )
  } finally {
    caller.close()
    await stop(child)
  }
}

async function measureEngine(kind, engine, sqls) {
  const guard = { allowParameters: false }
  const restrictions = {
    full: await demoRestrictions(engine, 'admin'),
    tenant: await demoRestrictions(engine, 'tenant'),
  }
  // What the tenant's query becomes, run as it is: the filtered query's own cost, without guard or rewrite.
  const asIs = new Map()
  for (const { sql } of sqls) asIs.set(sql, await engine.rewrite(sql, { restrictions: restrictions.tenant, guard }))
  const modes = ['query()', 'full', 'tenant', 'tenant as-is']
  const samples = await interleaved(ROUNDS[kind], sqls, modes, async ({ sql }, mode) => {
    const started = process.hrtime.bigint()
    if (mode === 'query()') await engine.query(sql, { maxRows: MAX_ROWS, guard })
    else if (mode === 'tenant as-is') {
      const rewritten = asIs.get(sql)
      await engine.query(rewritten.sql, { maxRows: MAX_ROWS, params: rewritten.params })
    } else await engine.restrictedQuery(sql, { restrictions: restrictions[mode], guard, maxRows: MAX_ROWS })
    return Number(process.hrtime.bigint() - started) / 1e6
  })
  return table(
    `${kind}, the engine in-process (${ROUNDS[kind]} rounds): query() without rewrite vs restrictedQuery(); ms`,
    samples,
    modes,
    [
      ['full', 'query()'],
      ['tenant', 'query()'],
      ['tenant', 'full'],
      ['tenant', 'tenant as-is'],
    ],
  )
}

const pin = pinThisProcessToLoadCore()
const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-rls-'))
const cleanUps = [() => rmSync(work, { recursive: true, force: true })]
stopChildrenOnSignal(() => cleanUps.forEach((f) => f()))
let exitCode = 0
try {
  const files = await prepareDemoFiles(work, 0, () => {})
  const engines = [
    { kind: 'duckdb', projectPath: files.projectPath, open: () => DuckDbEngine.open(files.warehousePath) },
  ]
  if (PG_ADMIN_URL !== undefined) {
    const warehouse = await loadDemoWarehouseIntoPostgres(files.warehousePath, PG_ADMIN_URL)
    cleanUps.unshift(() => warehouse.drop())
    // The same project on the PostgreSQL copy: only the connection changes.
    const duckdbConnection = 'engine: duckdb\n    path: ./warehouse.duckdb'
    const project = readFileSync(files.projectPath, 'utf8')
    if (!project.includes(duckdbConnection)) throw new Error('the demo project no longer has the expected connection')
    const projectPath = join(work, 'project-postgres.yaml')
    writeFileSync(projectPath, project.replace(duckdbConnection, `engine: postgres\n    url: ${warehouse.url}`))
    engines.push({
      kind: 'postgres',
      projectPath,
      open: () => PostgresEngine.open(warehouse.url, { statementTimeoutMs: 15_000 }),
    })
  }
  const results = {}
  let customer
  for (const { kind, projectPath, open } of engines) {
    const engine = await open()
    try {
      customer ??= (await engine.query(GLOBEX_CUSTOMER, { maxRows: 1, params: ['t_globex'] })).rows[0][0]
      results[kind] = { engine: await measureEngine(kind, engine, sqlCalls(customer)) }
    } finally {
      await engine.close()
    }
    results[kind].mcp = await measureMcp(kind, work, projectPath, mcpCalls(customer), pin)
  }
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
  writeFileSync(
    join(BENCH_DIR, 'results', 'rls-overhead.json'),
    JSON.stringify({ at: new Date().toISOString(), rounds: ROUNDS, pinned: pin, results }, null, 2),
  )
} catch (error) {
  console.error(`broken run: ${error.stack ?? error.message}`)
  exitCode = 1
} finally {
  for (const cleanUp of cleanUps) await cleanUp()
}
process.exit(exitCode)
