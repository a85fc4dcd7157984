// The load generator: autocannon (programmatic API) against one URL, a warm-up run whose figures are
// discarded, then the measured run. Prints one JSON line:
//   { requests_per_sec, p50_ms, p99_ms, non2xx, errors, ... }
//
//   node bench/load.js --url http://127.0.0.1:8000/mcp -H 'content-type: application/json' --body '{...}'
//
// Options: --url (required), -H/--header 'name: value' (repeatable), --body or --body-file, --method
// (POST), --connections (50), --warmup seconds (3), --duration seconds (env BENCH_SECONDS, else 10).
// Only loopback targets are accepted. Autocannon's latencies have 1 ms resolution. `MEASURING <s>` goes
// to stderr when the warm-up is over; `loadgen_cpu_s` is this process's CPU time over the measured run.
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Runs the warm-up and the measured run; resolves with the measured figures
 * (`warmup_non2xx` and `warmup_errors` so a caller can tell a broken warm-up).
 * `onMeasuring(seconds)` is called when the warm-up is over and the measured run starts.
 */
export async function runLoad(options) {
  const { url, method = 'POST', headers = {}, body, connections = 50, warmup = 3, duration, onMeasuring } = options
  const target = new URL(url)
  if (!LOOPBACK.has(target.hostname)) throw new Error(`load.js only targets loopback, not ${target.hostname}`)
  const seconds = duration ?? positiveNumber(process.env.BENCH_SECONDS, 'BENCH_SECONDS') ?? 10
  const base = { url, method, headers, body, connections, timeout: 10 }
  const warm = warmup > 0 ? await autocannon({ ...base, duration: warmup }) : undefined
  onMeasuring?.(seconds)
  const cpuBefore = process.cpuUsage()
  const run = await autocannon({ ...base, duration: seconds })
  const cpu = process.cpuUsage(cpuBefore)
  return {
    requests_per_sec: Math.round(run.requests.total / run.duration),
    p50_ms: run.latency.p50,
    p99_ms: run.latency.p99,
    non2xx: run.non2xx,
    errors: run.errors + run.timeouts,
    total: run.requests.total,
    duration_s: run.duration,
    connections,
    latency_mean_ms: Math.round(run.latency.average * 100) / 100,
    warmup_non2xx: warm?.non2xx ?? 0,
    warmup_errors: warm === undefined ? 0 : warm.errors + warm.timeouts,
    loadgen_cpu_s: Math.round((cpu.user + cpu.system) / 1e3) / 1e3,
  }
}

function positiveNumber(text, name) {
  if (text === undefined || text === '') return undefined
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds, got "${text}"`)
  return n
}

function parseHeaders(lines) {
  const headers = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) throw new Error(`header "${line}" is not "name: value"`)
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      method: { type: 'string', default: 'POST' },
      header: { type: 'string', short: 'H', multiple: true, default: [] },
      body: { type: 'string' },
      'body-file': { type: 'string' },
      connections: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '3' },
      duration: { type: 'string' },
    },
  })
  if (values.url === undefined) throw new Error('--url is required')
  const body = values['body-file'] !== undefined ? readFileSync(values['body-file'], 'utf8') : values.body
  const result = await runLoad({
    url: values.url,
    method: values.method,
    headers: parseHeaders(values.header),
    body,
    connections: Number(values.connections),
    warmup: Number(values.warmup),
    duration: positiveNumber(values.duration, '--duration'),
    // On stderr, so stdout stays one JSON line: lets a caller sample the server's CPU over the measured run.
    onMeasuring: (seconds) => console.error(`MEASURING ${seconds}`),
  })
  console.log(JSON.stringify(result))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(`load.js: ${error.message}`)
    process.exit(1)
  })
}
