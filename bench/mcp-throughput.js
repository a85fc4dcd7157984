// SPEC §9, first two budgets: authenticated `tools/call` throughput and the cost of auth.
//
//   node bench/mcp-throughput.js          (env: BENCH_SECONDS=10 measured seconds per server,
//                                               BENCH_SLICE_SECONDS=2, BENCH_PAIRED_SECONDS=16)
//
// Compares, in this one invocation, five servers, each pinned to core 0, loaded by bench/load.js
// (autocannon, 50 connections) pinned to core 1:
//   gatehouse-auth     Gatehouse, API key verified (then cached): the production path
//   gatehouse-noauth   the same server and call, auth off (insecureFixedPrincipal)
//   gatehouse-sdkpath  auth on, fast path off: every message through the long-lived SDK server
//   sdk-stateless      the MCP SDK's stateless serving, a new McpServer per request (the SPEC's reference)
//   node-echo          bare node:http echo of the same body (the ceiling)
// Every server gets the same request (a `list_projects` tools/call with a Gatehouse API key).
//
// Loads run one after another, never two at once (except in the paired phase below). So that the
// ratios survive a machine whose speed drifts (other processes, a busy host), the measured time is cut
// into slices: every server is started and warmed up (3 s), then the servers take turns,
// BENCH_SLICE_SECONDS each (after a 0.5 s re-warm of the connections), until each has had
// BENCH_SECONDS. A server's req/s is its requests over its measured time; p50/p99 are the medians over
// its slices.
//
// The auth overhead is then measured paired: the auth and noauth servers are loaded at the same time
// (25 connections each, BENCH_PAIRED_SECONDS in 4-s turns), so they share core 0 and see the same
// machine; the overhead is 1 − (noauth CPU per request / auth CPU per request). On a machine whose
// speed drifts, the sequential auth/noauth ratio is mostly noise; it is reported next to it.
//
// Prints a markdown table and the ratios, PASS/MISS per budget, and writes the same to
// bench/results/mcp-throughput.json. Exits non-zero only on a broken run (a server that did not
// start or answered wrongly, non-2xx or socket errors under load), never on a budget miss.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  BENCH_DIR,
  LOAD_CORE,
  SERVER_CORE,
  TOOL_CALL_BODY,
  canPin,
  checkAnswer,
  launch,
  mcpHeaders,
  onCore,
  runLoad,
  startPauseProbe,
  stop,
  stopChildrenOnSignal,
} from './lib/harness.js'

const RESULTS_FILE = join(BENCH_DIR, 'results', 'mcp-throughput.json')
const SECONDS = positiveNumber(process.env.BENCH_SECONDS, 'BENCH_SECONDS') ?? 10
const SLICE_SECONDS = Math.min(SECONDS, positiveNumber(process.env.BENCH_SLICE_SECONDS, 'BENCH_SLICE_SECONDS') ?? 2)
const SLICES = Math.max(1, Math.round(SECONDS / SLICE_SECONDS))
/** The paired auth/noauth measurement (see computeRatios): total seconds and turns. */
const PAIRED_SECONDS = positiveNumber(process.env.BENCH_PAIRED_SECONDS, 'BENCH_PAIRED_SECONDS') ?? 16
const PAIRED_TURNS = Math.max(1, Math.round(PAIRED_SECONDS / 4))
const WARMUP_SECONDS = 3
const SLICE_WARMUP_SECONDS = 0.5
const CONNECTIONS = 50
/** Above this share of the server's core used by anything else, the report warns that req/s is disturbed. */
const OTHER_LOAD_WARN_PCT = 15
/** Above this share of the measured time with the server core paused (see lib/pause-probe.js), the report warns. */
const PAUSED_WARN_PCT = 3

/** The budgets of SPEC §9 this command measures. */
const BUDGET = { minAuthRps: 10_000, maxAuthP99Ms: 20, maxAuthOverhead: 0.1, maxAuditOverhead: 0.1 }

const GATEHOUSE = 'servers/gatehouse.js'
const TARGETS = [
  { id: 'gatehouse-auth', label: 'Gatehouse, API key (auth on)', script: GATEHOUSE, args: ['--mode', 'auth'] },
  { id: 'gatehouse-token', label: 'Gatehouse, project token (auth on)', script: GATEHOUSE, args: ['--mode', 'token'] },
  {
    id: 'gatehouse-oauth',
    label: 'Gatehouse, OAuth access token (auth on)',
    script: GATEHOUSE,
    args: ['--mode', 'oauth'],
  },
  { id: 'gatehouse-noauth', label: 'Gatehouse, auth off', script: GATEHOUSE, args: ['--mode', 'noauth'] },
  { id: 'gatehouse-noaudit', label: 'Gatehouse, auth on, audit off', script: GATEHOUSE, args: ['--mode', 'noaudit'] },
  {
    id: 'gatehouse-sdkpath',
    label: 'Gatehouse, auth on, no fast path (SDK dispatch)',
    script: GATEHOUSE,
    args: ['--mode', 'sdkpath'],
  },
  { id: 'sdk-stateless', label: 'MCP SDK stateless (new server per request)', script: 'servers/sdk-stateless.js' },
  { id: 'node-echo', label: 'node:http JSON echo (ceiling)', script: 'servers/node-echo.js', expect: 'echo' },
]

const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-throughput-'))
stopChildrenOnSignal(() => rmSync(workDir, { recursive: true, force: true }))
try {
  process.exitCode = await main()
} finally {
  rmSync(workDir, { recursive: true, force: true })
}

async function main() {
  const pin = canPin()
  if (!pin) {
    console.warn(
      `WARNING: taskset is missing or cores ${SERVER_CORE}/${LOAD_CORE} are unavailable: running WITHOUT CPU pinning; ` +
        'server and load generator compete for the same cores and the figures are not comparable to pinned runs.',
    )
  }
  console.log(
    `mcp-throughput: ${TARGETS.length} servers, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up, then ` +
      `${SLICES} turns of ${SLICE_SECONDS} s each = ${SLICES * SLICE_SECONDS} s measured per server` +
      (pin ? `; servers on core ${SERVER_CORE}, load generator on core ${LOAD_CORE}` : ''),
  )

  const broken = []
  const fail = (id, message) => {
    broken.push(`${id}: ${message}`)
    console.error(`BROKEN ${id}: ${message}`)
  }
  const live = []
  const slices = Object.fromEntries(TARGETS.map((t) => [t.id, []]))
  const paired = []
  const probe = startPauseProbe(pin, SERVER_CORE)
  try {
    // The SDK and echo servers get a Gatehouse key too, so every server receives requests of the same size.
    let apiKey
    for (const target of TARGETS) {
      const started = await start(target, pin, apiKey)
      if (started.error !== undefined) fail(target.id, started.error)
      if (started.server !== undefined) live.push(started)
      apiKey = started.apiKey ?? apiKey
    }
    for (const entry of live) {
      const warm = await load(entry, pin, 0, WARMUP_SECONDS)
      const problem = loadProblem(warm)
      if (problem !== undefined) fail(entry.target.id, `warm-up: ${problem}`)
    }
    for (let turn = 1; turn <= SLICES; turn++) {
      const line = []
      for (const entry of live) {
        const slice = await load(entry, pin, SLICE_WARMUP_SECONDS, SLICE_SECONDS, CONNECTIONS, probe)
        const problem = loadProblem(slice)
        if (problem !== undefined) fail(entry.target.id, `turn ${turn}: ${problem}`)
        slices[entry.target.id].push(slice)
        line.push(
          `${entry.target.id} ${slice.requests_per_sec}${slice.paused_ms > 0 ? ` (core paused ${slice.paused_ms} ms)` : ''}`,
        )
      }
      console.log(`  turn ${turn}/${SLICES} req/s: ${line.join(', ')}`)
    }
    const auth = live.find((e) => e.target.id === 'gatehouse-auth')
    const noauth = live.find((e) => e.target.id === 'gatehouse-noauth')
    if (auth !== undefined && noauth !== undefined) {
      for (let turn = 1; turn <= PAIRED_TURNS; turn++) {
        // Both loaded at once: the two servers share core 0 (the scheduler gives each half), so
        // whatever slows the machine slows both alike, and their CPU per request compares directly.
        const half = CONNECTIONS / 2
        const [a, b] = await Promise.all([
          load(auth, pin, SLICE_WARMUP_SECONDS, PAIRED_SECONDS / PAIRED_TURNS, half),
          load(noauth, pin, SLICE_WARMUP_SECONDS, PAIRED_SECONDS / PAIRED_TURNS, half),
        ])
        for (const [id, run] of [
          ['gatehouse-auth', a],
          ['gatehouse-noauth', b],
        ]) {
          const problem = loadProblem(run)
          if (problem !== undefined) fail(id, `paired turn ${turn}: ${problem}`)
        }
        paired.push({ auth: a, noauth: b })
        console.log(
          `  paired ${turn}/${PAIRED_TURNS}: auth ${a.server_cpu_us_per_req} µs CPU/req (${a.requests_per_sec} req/s), ` +
            `noauth ${b.server_cpu_us_per_req} µs CPU/req (${b.requests_per_sec} req/s)`,
        )
      }
    }
  } catch (error) {
    fail('harness', error.message)
  } finally {
    probe.stop()
    for (const entry of live) {
      const code = await stop(entry.server.child)
      if (code !== 0)
        console.warn(`WARNING: ${entry.target.id} exited with ${code} on SIGTERM: ${entry.server.stderr()}`)
    }
  }

  const results = TARGETS.map((t) => ({ id: t.id, label: t.label, ...aggregate(slices[t.id]) }))
  const report = {
    figure: 'mcp-throughput',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', node: process.version },
    settings: {
      connections: CONNECTIONS,
      warmup_s: WARMUP_SECONDS,
      measured_s: SLICES * SLICE_SECONDS,
      slices: SLICES,
      slice_s: SLICE_SECONDS,
      pinned: pin,
      server_core: pin ? SERVER_CORE : null,
      load_core: pin ? LOAD_CORE : null,
      request: { method: 'POST', path: '/mcp', protocol_version: '2025-06-18', body: JSON.parse(TOOL_CALL_BODY) },
    },
    results,
    ratios: computeRatios(results, slices, paired),
    paired: paired.map(({ auth, noauth }) => ({
      auth: { requests_per_sec: auth.requests_per_sec, server_cpu_us_per_req: auth.server_cpu_us_per_req },
      noauth: { requests_per_sec: noauth.requests_per_sec, server_cpu_us_per_req: noauth.server_cpu_us_per_req },
    })),
    broken,
  }
  console.log('')
  console.log(renderMarkdown(report))
  mkdirSync(dirname(RESULTS_FILE), { recursive: true })
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`\nwritten: ${RESULTS_FILE}`)
  if (broken.length > 0) {
    console.error(`\nBROKEN RUN (${broken.length}):\n  ${broken.join('\n  ')}`)
    return 1
  }
  return 0
}

/** Starts one server and checks one answer. Never throws: a failure is `error` (with `server` to stop). */
async function start(target, pin, knownKey) {
  const gatehouse = target.script === GATEHOUSE
  const keyFile = join(workDir, `${target.id}.key`)
  const argv = [
    process.execPath,
    join(BENCH_DIR, target.script),
    ...(target.args ?? []),
    ...(gatehouse ? ['--key-file', keyFile] : []),
    '--port',
    '0',
  ]
  let server
  try {
    server = await launch(onCore(pin, SERVER_CORE, argv))
  } catch (error) {
    return { error: `server did not start: ${error.message}` }
  }
  try {
    // Each Gatehouse server has its own store and key; the others get the last Gatehouse key.
    const apiKey = gatehouse ? readFileSync(keyFile, 'utf8').trim() : knownKey
    if (apiKey === undefined) throw new Error('no API key yet: a Gatehouse target must run first')
    const url = `${server.url}/mcp`
    const headers = mcpHeaders(apiKey)
    const wrong = await checkAnswer(url, headers, TOOL_CALL_BODY, target.expect ?? 'tool')
    if (wrong !== undefined) throw new Error(`wrong answer before the load: ${wrong}`)
    return { target, server, url, headers, apiKey }
  } catch (error) {
    await stop(server.child)
    return { error: error.message }
  }
}

async function load({ server, url, headers }, pin, warmup, seconds, connections = CONNECTIONS, pauseProbe) {
  const { window: _window, ...figures } = await runLoad({
    pauseProbe,
    pin,
    url,
    headers,
    body: TOOL_CALL_BODY,
    connections,
    warmup,
    seconds,
    serverPid: server.child.pid,
  })
  return figures
}

function loadProblem(run) {
  const problems = []
  if (run.non2xx > 0 || run.warmup_non2xx > 0) problems.push(`${run.non2xx + run.warmup_non2xx} non-2xx responses`)
  if (run.errors > 0 || run.warmup_errors > 0) problems.push(`${run.errors + run.warmup_errors} socket errors/timeouts`)
  if (run.total === 0) problems.push('no request completed')
  return problems.length === 0 ? undefined : problems.join('; ')
}

/** A server's figures over all its slices. */
function aggregate(list) {
  if (list.length === 0) return { requests_per_sec: null, p50_ms: null, p99_ms: null, non2xx: null, errors: null }
  const sum = (field) => list.reduce((acc, s) => acc + (s[field] ?? 0), 0)
  const total = sum('total')
  const seconds = sum('duration_s')
  const cpu = sum('server_cpu_s')
  const others = list.map((s) => s.server_core_other_pct).filter((v) => v !== undefined)
  return {
    requests_per_sec: seconds > 0 ? Math.round(total / seconds) : null,
    p50_ms: median(list.map((s) => s.p50_ms)),
    p99_ms: median(list.map((s) => s.p99_ms)),
    p99_max_ms: Math.max(...list.map((s) => s.p99_ms)),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    total,
    measured_s: Math.round(seconds * 100) / 100,
    ...(cpu > 0 && {
      server_cpu_us_per_req: Math.round((cpu * 1e6) / total),
      req_per_server_cpu_s: Math.round(total / cpu),
    }),
    ...(others.length > 0 && {
      server_core_other_pct: Math.round(others.reduce((a, b) => a + b, 0) / others.length),
    }),
    ...(list.every((s) => s.paused_ms !== undefined) && {
      server_core_paused_pct: Math.round(((100 * sum('paused_ms')) / (1000 * seconds)) * 10) / 10,
    }),
    slices: list.map((s) => ({
      requests_per_sec: s.requests_per_sec,
      p50_ms: s.p50_ms,
      p99_ms: s.p99_ms,
      server_cpu_us_per_req: s.server_cpu_us_per_req,
      req_per_server_cpu_s: s.req_per_server_cpu_s,
      server_core_other_pct: s.server_core_other_pct,
      paused_ms: s.paused_ms,
    })),
  }
}

/**
 * Auth overhead from the paired turns: 1 − (noauth CPU per request / auth CPU per request), i.e.
 * 1 − auth/noauth in requests per CPU-second, over all paired turns, with its range over the turns.
 * Servers loaded one after another see the machine at different moments; on a machine whose speed
 * drifts by tens of percent from one second to the next that ratio is noise, this one is not.
 */
function pairedOverhead(paired) {
  const valid = paired.filter((p) => p.auth.server_cpu_s > 0 && p.noauth.server_cpu_s > 0)
  if (valid.length === 0) return undefined
  const perReq = (runs) => runs.reduce((a, r) => a + r.server_cpu_s, 0) / runs.reduce((a, r) => a + r.total, 0)
  const value = 1 - perReq(valid.map((p) => p.noauth)) / perReq(valid.map((p) => p.auth))
  const turns = valid.map((p) => 1 - perReq([p.noauth]) / perReq([p.auth]))
  return { value: round(value, 4), range: [round(Math.min(...turns), 3), round(Math.max(...turns), 3)] }
}

function median(values) {
  const list = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v)).sort((a, b) => a - b)
  if (list.length === 0) return null
  const mid = Math.floor(list.length / 2)
  return list.length % 2 === 1 ? list[mid] : (list[mid - 1] + list[mid]) / 2
}

/**
 * Each ratio over the whole measured time, with its range over the turns (turn i of two servers ran
 * seconds apart, so the range shows how much the machine drifted).
 */
function computeRatios(results, slices, paired) {
  const by = Object.fromEntries(results.map((r) => [r.id, r]))
  const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b)
  const spread = (field, numerator, denominator, transform) => {
    const values = (slices[numerator] ?? [])
      .map((s, i) => ratio(s[field], slices[denominator]?.[i]?.[field]))
      .filter((v) => v !== null)
      .map(transform)
    return values.length === 0 ? null : [round(Math.min(...values), 3), round(Math.max(...values), 3)]
  }
  const figure = (field, numerator, denominator, { overhead = false, digits = 3 } = {}) => {
    const transform = overhead ? (x) => 1 - x : (x) => x
    const q = ratio(by[numerator]?.[field], by[denominator]?.[field])
    return {
      value: q === null ? null : round(transform(q), digits),
      range: spread(field, numerator, denominator, transform),
    }
  }
  const auth = by['gatehouse-auth']
  const rps = auth?.requests_per_sec ?? null
  const p99 = auth?.p99_ms ?? null
  const sequential = figure('requests_per_sec', 'gatehouse-auth', 'gatehouse-noauth', { overhead: true, digits: 4 })
  const overhead = pairedOverhead(paired) ?? sequential
  const verdict = (ok) => (ok === null ? 'N/A' : ok ? 'PASS' : 'MISS')
  const cpu = 'req_per_server_cpu_s'
  const token = by['gatehouse-token']
  return {
    token_requests_per_sec: {
      value: token?.requests_per_sec ?? null,
      p99_ms: token?.p99_ms ?? null,
      budget: `>= ${BUDGET.minAuthRps}, p99 < ${BUDGET.maxAuthP99Ms}`,
      verdict: verdict(
        token?.requests_per_sec == null
          ? null
          : token.requests_per_sec >= BUDGET.minAuthRps && (token.p99_ms ?? Infinity) < BUDGET.maxAuthP99Ms,
      ),
      versus_api_key: figure('requests_per_sec', 'gatehouse-token', 'gatehouse-auth'),
    },
    auth_requests_per_sec: {
      value: rps,
      budget: `>= ${BUDGET.minAuthRps}`,
      verdict: verdict(rps === null ? null : rps >= BUDGET.minAuthRps),
    },
    auth_p99_ms: {
      value: p99,
      budget: `< ${BUDGET.maxAuthP99Ms}`,
      verdict: verdict(p99 === null ? null : p99 < BUDGET.maxAuthP99Ms),
    },
    auth_overhead: {
      ...overhead,
      method: overhead === sequential ? 'sequential' : 'paired',
      definition:
        overhead === sequential
          ? '1 - auth/noauth (req/s, servers loaded one after another)'
          : '1 - auth/noauth (requests per CPU-second, both servers loaded at once on the same core)',
      ...(overhead !== sequential && { sequential }),
      budget: `<= ${BUDGET.maxAuthOverhead}`,
      verdict: verdict(overhead.value === null ? null : overhead.value <= BUDGET.maxAuthOverhead),
    },
    speedup_vs_sdk_stateless: {
      ...figure('requests_per_sec', 'gatehouse-auth', 'sdk-stateless', { digits: 2 }),
      definition: 'auth / sdk-stateless (req/s)',
    },
    fraction_of_echo_ceiling: {
      ...figure('requests_per_sec', 'gatehouse-auth', 'node-echo'),
      definition: 'auth / node-echo (req/s)',
    },
    fast_path_gain: {
      ...figure('requests_per_sec', 'gatehouse-auth', 'gatehouse-sdkpath', { digits: 2 }),
      definition: 'auth / sdkpath (req/s)',
    },
    // Per CPU-second, servers loaded one after another: the audit record's cost (SPEC §9 budget ≤ 10 %).
    audit_overhead: {
      ...figure(cpu, 'gatehouse-auth', 'gatehouse-noaudit', { overhead: true, digits: 4 }),
      definition: '1 - auth/noaudit (requests per server CPU-second)',
      budget: `<= ${BUDGET.maxAuditOverhead}`,
    },
    // The same ratios on requests per server CPU-second: they discount time a server waited for its core
    // (other processes on it), not a host that runs everything slower for a while.
    cpu_normalised: {
      auth_req_per_server_cpu_s: auth?.[cpu] ?? null,
      auth_overhead: figure(cpu, 'gatehouse-auth', 'gatehouse-noauth', { overhead: true, digits: 4 }),
      speedup_vs_sdk_stateless: figure(cpu, 'gatehouse-auth', 'sdk-stateless', { digits: 2 }),
      fraction_of_echo_ceiling: figure(cpu, 'gatehouse-auth', 'node-echo'),
      fast_path_gain: figure(cpu, 'gatehouse-auth', 'gatehouse-sdkpath', { digits: 2 }),
    },
  }
}

function renderMarkdown(report) {
  const { settings, machine, ratios: q } = report
  const cell = (v) => (v === null || v === undefined ? '—' : String(v))
  const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`)
  const times = (v) => (v === null || v === undefined ? '—' : `${Number(v.toFixed(2))}×`)
  const range = (r, format) => (r === null || r === undefined ? '' : ` (turns: ${format(r[0])} … ${format(r[1])})`)
  const lines = [
    `### mcp-throughput (${machine.cpus} cores, Node ${machine.node}, ${settings.connections} connections, ` +
      `${settings.measured_s} s measured per server in ${settings.slices} turns` +
      `${settings.pinned ? `, servers on core ${SERVER_CORE} / load on core ${LOAD_CORE}` : ', NOT pinned'})`,
    '',
    '| server | req/s | p50 ms | p99 ms | non-2xx | server CPU µs/req | req per server CPU-s | other load on server core | server core paused |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...report.results.map(
      (r) =>
        `| ${r.label} | ${cell(r.requests_per_sec)} | ${cell(r.p50_ms)} | ${cell(r.p99_ms)} | ${cell(r.non2xx)} | ` +
        `${cell(r.server_cpu_us_per_req)} | ${cell(r.req_per_server_cpu_s)} | ` +
        `${r.server_core_other_pct === undefined ? '—' : `${r.server_core_other_pct} %`} | ` +
        `${r.server_core_paused_pct === undefined ? '—' : `${r.server_core_paused_pct} %`} |`,
    ),
    '',
    `- authenticated tools/call: ${cell(q.auth_requests_per_sec.value)} req/s (budget ≥ ${BUDGET.minAuthRps}): ` +
      q.auth_requests_per_sec.verdict,
    `- authenticated p99: ${cell(q.auth_p99_ms.value)} ms (budget < ${BUDGET.maxAuthP99Ms} ms): ${q.auth_p99_ms.verdict}`,
    `- with a project token: ${cell(q.token_requests_per_sec.value)} req/s, p99 ${cell(q.token_requests_per_sec.p99_ms)} ms ` +
      `(budget ≥ ${BUDGET.minAuthRps}, p99 < ${BUDGET.maxAuthP99Ms} ms): ${q.token_requests_per_sec.verdict}; ` +
      `token / API key: ${times(q.token_requests_per_sec.versus_api_key.value)}` +
      range(q.token_requests_per_sec.versus_api_key.range, times),
    `- auth overhead = 1 − auth/noauth: ${pct(q.auth_overhead.value)}${range(q.auth_overhead.range, pct)} ` +
      `(budget ≤ ${BUDGET.maxAuthOverhead * 100} %): ${q.auth_overhead.verdict} — ` +
      (q.auth_overhead.method === 'sequential'
        ? 'servers loaded one after another'
        : `paired: both loaded at once on core ${SERVER_CORE}, per CPU-second; loaded one after another: ` +
          `${pct(q.auth_overhead.sequential.value)}${range(q.auth_overhead.sequential.range, pct)}`),
    `- speed-up over the SDK stateless example: ${times(q.speedup_vs_sdk_stateless.value)}` +
      range(q.speedup_vs_sdk_stateless.range, times),
    `- fraction of the node:http echo ceiling: ${pct(q.fraction_of_echo_ceiling.value)}` +
      range(q.fraction_of_echo_ceiling.range, pct),
    `- fast path gain (auth / sdkpath): ${times(q.fast_path_gain.value)}${range(q.fast_path_gain.range, times)}`,
    `- audit overhead = 1 − auth/noaudit, per server CPU-second: ${pct(q.audit_overhead.value)}` +
      `${range(q.audit_overhead.range, pct)} (budget ≤ ${BUDGET.maxAuditOverhead * 100} %): ` +
      (q.audit_overhead.value === null ? 'N/A' : q.audit_overhead.value <= BUDGET.maxAuditOverhead ? 'PASS' : 'MISS'),
  ]
  const n = q.cpu_normalised
  lines.push(
    '',
    'CPU-normalised (requests per server CPU-second: discounts time the server waited for its core, not a slower host): ' +
      `auth ${cell(n.auth_req_per_server_cpu_s)} req/CPU-s; auth overhead ${pct(n.auth_overhead.value)}` +
      `${range(n.auth_overhead.range, pct)}; speed-up over SDK ${times(n.speedup_vs_sdk_stateless.value)}; ` +
      `fraction of echo ${pct(n.fraction_of_echo_ceiling.value)}; fast path gain ${times(n.fast_path_gain.value)}`,
  )
  const paused = report.results.filter((r) => (r.server_core_paused_pct ?? 0) > PAUSED_WARN_PCT)
  if (paused.length > 0) {
    lines.push(
      '',
      `WARNING: the server core was taken away for more than ${PAUSED_WARN_PCT} % of the measured time of ` +
        `${paused.map((r) => r.id).join(', ')} (pauses over 50 ms, seen by a probe process on the same core: ` +
        'the host froze the vCPU, or other processes hogged it): those req/s and p99 say more about the machine than ' +
        'about the server; rerun when it is quiet.',
    )
  }
  const disturbed = report.results.filter((r) => (r.server_core_other_pct ?? 0) > OTHER_LOAD_WARN_PCT)
  if (disturbed.length > 0) {
    lines.push(
      '',
      `WARNING: something else used more than ${OTHER_LOAD_WARN_PCT} % of the server core during ` +
        `${disturbed.map((r) => r.id).join(', ')} (other processes, or kernel network time for very fast servers): ` +
        'req/s and latencies of those rows are depressed; compare CPU-normalised figures or rerun on a quiet machine.',
    )
  }
  return lines.join('\n')
}

function round(value, digits) {
  return value === null ? null : Number(value.toFixed(digits))
}

function positiveNumber(text, name) {
  if (text === undefined || text === '') return undefined
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds, got "${text}"`)
  return n
}
