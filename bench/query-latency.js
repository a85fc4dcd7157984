// SPEC §9: `run_sql SELECT 1` through the whole path (auth, guard, engine, audit) has p50 under 2 ms at
// one connection; a standard-mode `query` on the demo data under 5 ms.
//
//   npm run build && node bench/query-latency.js        (BENCH_ROUNDS=3000 by default)
//
// One server on the demo world (bench/servers/gatehouse-demo.js, pinned to core 0); this process
// (pinned to core 1) sends one request at a time over one keep-alive connection, the request kinds
// interleaved round by round, so every kind sees the same machine. The trivial tool `list_projects`
// is the floor of the same HTTP + auth + audit path: `data path` = kind − floor.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR, SERVER_CORE, launch, onCore, stop, stopChildrenOnSignal } from './lib/harness.js'
import { pinThisProcessToLoadCore } from './lib/load-core.js'
import { toolCaller } from './lib/tool-caller.js'
import { percentiles } from './lib/samples.js'
import { MONTHLY_REVENUE_EMEA, REVENUE_BY_REGION } from './lib/demo-queries.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3000)
const WARMUP = Math.min(300, ROUNDS)

const KINDS = [
  { name: 'list_projects (floor: HTTP + auth + audit)', tool: 'list_projects', args: {} },
  { name: 'run_sql SELECT 1', tool: 'run_sql', args: { connection: 'warehouse', sql: 'SELECT 1' }, budget: 2 },
  {
    name: 'query: revenue by region (120k orders)',
    tool: 'query',
    args: REVENUE_BY_REGION,
    budget: 5,
  },
  {
    name: 'query: monthly revenue, EMEA, 2025, with a join',
    tool: 'query',
    args: MONTHLY_REVENUE_EMEA,
  },
  {
    name: 'run_sql: revenue by region (120k orders)',
    tool: 'run_sql',
    args: { connection: 'warehouse', sql: 'SELECT region, sum(amount) FROM main.orders GROUP BY region' },
  },
]

const pin = pinThisProcessToLoadCore()

const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-latency-'))
stopChildrenOnSignal(() => rmSync(work, { recursive: true, force: true }))
const keyFile = join(work, 'key')
const { child, url } = await launch(
  onCore(pin, SERVER_CORE, [process.execPath, join(BENCH_DIR, 'servers', 'gatehouse-demo.js'), '--key-file', keyFile]),
  { timeoutMs: 60_000 },
)
const key = readFileSync(keyFile, 'utf8')
const caller = toolCaller(url)

let exitCode = 0
try {
  const samples = KINDS.map(() => [])
  for (let round = 0; round < ROUNDS + WARMUP; round++) {
    for (const [i, kind] of KINDS.entries()) {
      const { ms } = await caller.call(key, kind.tool, kind.args)
      if (round >= WARMUP) samples[i].push(ms)
    }
  }
  const rows = KINDS.map((kind, i) => ({ kind: kind.name, ...percentiles(samples[i]), budget: kind.budget }))
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
  caller.close()
  await stop(child)
  rmSync(work, { recursive: true, force: true })
}
process.exit(exitCode)
