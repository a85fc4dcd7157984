// SPEC §9: `run_sql SELECT 1` through the whole path (auth, guard, engine, audit) has p50 under 2 ms at
// one connection; a standard-mode `query` on the demo data under 5 ms.
//
//   npm run build && node bench/query-latency.js        (BENCH_ROUNDS=3000 by default)
//
// One server on the demo world (bench/servers/gatehouse-demo.js, pinned to core 0); this process
// (pinned to core 1) sends one request at a time over one keep-alive connection, the request kinds
// interleaved round by round, so every kind sees the same machine. The trivial tool `list_projects`
// is the floor of the same HTTP + auth + audit path: `data path` = kind − floor.
import { Agent, request } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BENCH_DIR,
  LOAD_CORE,
  SERVER_CORE,
  canPin,
  launch,
  mcpHeaders,
  onCore,
  stop,
  stopChildrenOnSignal,
} from './lib/harness.js'
import { spawnSync } from 'node:child_process'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3000)
const WARMUP = Math.min(300, ROUNDS)

const KINDS = [
  { name: 'list_projects (floor: HTTP + auth + audit)', tool: 'list_projects', args: {} },
  { name: 'run_sql SELECT 1', tool: 'run_sql', args: { connection: 'warehouse', sql: 'SELECT 1' }, budget: 2 },
  {
    name: 'query: revenue by region (120k orders)',
    tool: 'query',
    args: { domain: 'sales', dimensions: ['region'], measures: ['revenue', 'order_count'] },
    budget: 5,
  },
  {
    name: 'query: monthly revenue, EMEA, 2025, with a join',
    tool: 'query',
    args: {
      domain: 'sales',
      dimensions: ['order_date:month', 'category'],
      measures: ['revenue'],
      filters: [
        { field: 'region', op: '=', value: 'EMEA' },
        { field: 'order_date', op: 'between', value: ['2025-01-01', '2025-12-31'] },
      ],
      order_by: [{ field: 'revenue', direction: 'desc' }],
      limit: 50,
    },
  },
  {
    name: 'run_sql: revenue by region (120k orders)',
    tool: 'run_sql',
    args: { connection: 'warehouse', sql: 'SELECT region, sum(amount) FROM main.orders GROUP BY region' },
  },
]

const pin = canPin()
if (pin && process.env.BENCH_PINNED !== '1') {
  // Re-run this process on the load core, so client and server never share one.
  const result = spawnSync('taskset', ['-c', String(LOAD_CORE), process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  })
  process.exit(result.status ?? 1)
}

const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-latency-'))
stopChildrenOnSignal(() => rmSync(work, { recursive: true, force: true }))
const keyFile = join(work, 'key')
const { child, url } = await launch(
  onCore(pin, SERVER_CORE, [process.execPath, join(BENCH_DIR, 'servers', 'gatehouse-demo.js'), '--key-file', keyFile]),
  { timeoutMs: 60_000 },
)
const key = readFileSync(keyFile, 'utf8')
const headers = mcpHeaders(key)
const agent = new Agent({ keepAlive: true, maxSockets: 1 })
const target = new URL(`${url}/mcp`)

function call(kind, id) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: kind.tool, arguments: kind.args },
  })
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode !== 200)
            return reject(new Error(`${kind.tool}: HTTP ${res.statusCode} ${text.slice(0, 300)}`))
          const parsed = JSON.parse(text)
          if (parsed.result?.isError === true)
            return reject(new Error(`${kind.tool}: ${parsed.result.content[0].text}`))
          resolve(ms)
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
let exitCode = 0
try {
  const samples = KINDS.map(() => [])
  for (let round = 0; round < ROUNDS + WARMUP; round++) {
    for (const [i, kind] of KINDS.entries()) {
      const ms = await call(kind, round * KINDS.length + i)
      if (round >= WARMUP) samples[i].push(ms)
    }
  }
  const rows = KINDS.map((kind, i) => {
    const sorted = samples[i].sort((a, b) => a - b)
    return {
      kind: kind.name,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      budget: kind.budget,
    }
  })
  const floor = rows[0].p50
  console.log(
    `\n${ROUNDS} rounds after ${WARMUP} warm-up, one connection, ${pin ? 'server core 0, client core 1' : 'unpinned'}\n`,
  )
  console.log('| request | p50 ms | p90 ms | p99 ms | p50 − floor | budget (p50) |')
  console.log('|---|---:|---:|---:|---:|---|')
  for (const row of rows) {
    const verdict = row.budget === undefined ? '' : `< ${row.budget} ms: ${row.p50 < row.budget ? 'PASS' : 'MISS'}`
    console.log(
      `| ${row.kind} | ${row.p50.toFixed(2)} | ${row.p90.toFixed(2)} | ${row.p99.toFixed(2)} | ${(row.p50 - floor).toFixed(2)} | ${verdict} |`,
    )
  }
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true })
  writeFileSync(
    join(BENCH_DIR, 'results', 'query-latency.json'),
    JSON.stringify({ at: new Date().toISOString(), rounds: ROUNDS, pinned: pin, rows }, null, 2),
  )
} catch (error) {
  console.error(`broken run: ${error.message}`)
  exitCode = 1
} finally {
  agent.destroy()
  await stop(child)
  rmSync(work, { recursive: true, force: true })
}
process.exit(exitCode)
