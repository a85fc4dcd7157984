// CPU profile of a Gatehouse server under the mcp-throughput load, summarised over the measured run.
//
//   node bench/profile-mcp.js [--mode auth|noauth|sdkpath] [--seconds 10] [--top 30]
//
// The server runs under `node --cpu-prof` (pinned to core 0, load on core 1, as in mcp-throughput);
// the profile is written to bench/results/profiles/<mode>-<time>.cpuprofile (open it in Chrome
// DevTools or VS Code) and its summary, restricted to the measured run (no start-up, no warm-up),
// is printed and written next to it as .summary.txt. Profiling slows the server: the req/s printed
// here are not the benchmark's figures.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatSummary, summarise } from './lib/cpuprofile.js'
import {
  BENCH_DIR,
  SERVER_CORE,
  TOOL_CALL_BODY,
  canPin,
  checkAnswer,
  launch,
  mcpHeaders,
  onCore,
  runLoad,
  stop,
  stopChildrenOnSignal,
} from './lib/harness.js'

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'auth' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '10' },
    top: { type: 'string', default: '30' },
  },
})
const seconds = Number(values.seconds)
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got "${values.seconds}"`)

const outDir = join(BENCH_DIR, 'results', 'profiles')
const name = `${values.mode}-${new Date().toISOString().replace(/[:.]/g, '-')}`
const profileFile = join(outDir, `${name}.cpuprofile`)
mkdirSync(outDir, { recursive: true })
const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'))
stopChildrenOnSignal(() => rmSync(workDir, { recursive: true, force: true }))

try {
  const pin = canPin()
  if (!pin) console.warn('WARNING: taskset is missing or there are fewer than 2 cores: running without CPU pinning')
  const keyFile = join(workDir, 'key')
  const server = await launch(
    onCore(pin, SERVER_CORE, [
      process.execPath,
      '--cpu-prof',
      '--cpu-prof-dir',
      outDir,
      '--cpu-prof-name',
      `${name}.cpuprofile`,
      '--cpu-prof-interval',
      '250',
      join(BENCH_DIR, 'servers', 'gatehouse.js'),
      '--mode',
      values.mode,
      '--key-file',
      keyFile,
      '--port',
      '0',
    ]),
  )
  let load
  let exitCode
  try {
    const url = `${server.url}/mcp`
    const headers = mcpHeaders(readFileSync(keyFile, 'utf8').trim())
    const wrong = await checkAnswer(url, headers, TOOL_CALL_BODY, 'tool')
    if (wrong !== undefined) throw new Error(`wrong answer before the load: ${wrong}`)
    load = await runLoad({ pin, url, headers, body: TOOL_CALL_BODY, connections: 50, warmup: 3, seconds })
  } finally {
    // The profile is written when the server exits.
    exitCode = await stop(server.child)
  }
  if (exitCode !== 0) throw new Error(`the server exited with ${exitCode}; stderr: ${server.stderr()}`)

  const profile = JSON.parse(readFileSync(profileFile, 'utf8'))
  // Profile times and the measured window are both on the monotonic clock, in µs.
  const summary = summarise(profile, {
    fromUs: load.window.startUs - profile.startTime,
    toUs: load.window.endUs - profile.startTime,
  })
  const text =
    `profile of gatehouse --mode ${values.mode} under load (${load.requests_per_sec} req/s while profiled, ` +
    `non-2xx ${load.non2xx}), measured run only: ${formatSummary(summary, Number(values.top))}\n`
  writeFileSync(join(outDir, `${name}.summary.txt`), text)
  console.log(text)
  console.log(`profile: ${profileFile}`)
  if (load.non2xx > 0 || load.errors > 0) process.exitCode = 1
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
