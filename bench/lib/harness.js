// Shared by the bench commands: launch a server (pinned to a core), check one answer, load it with
// bench/load.js in its own process (pinned to the other core), account CPU over the measured run, stop.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const { fetch } = globalThis

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER_CORE = 0
export const LOAD_CORE = 1

/** The request every server is loaded with: a trivial `tools/call`. */
export const TOOL_CALL_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'list_projects', arguments: {} },
})

export function mcpHeaders(apiKey) {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    authorization: `Bearer ${apiKey}`,
  }
}

/** Child processes still running, so a signal to the bench command can stop them. */
const children = new Set()

export function stopChildrenOnSignal(cleanUp = () => {}) {
  const onSignal = (signal) => {
    for (const child of children) child.kill('SIGTERM')
    cleanUp()
    console.error(`interrupted by ${signal}`)
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}

/** Whether `taskset` can pin to the server and load cores (Linux with util-linux and ≥ 2 cores). */
export function canPin() {
  if (cpus().length < 2) return false
  const probe = spawnSync('taskset', ['-c', `${SERVER_CORE},${LOAD_CORE}`, 'true'], { stdio: 'ignore' })
  return probe.status === 0
}

/** `argv` run on `core` when pinning (taskset execs it, so the pid is the program's own). */
export function onCore(pin, core, argv) {
  return pin ? ['taskset', '-c', String(core), ...argv] : argv
}

/**
 * Starts lib/pause-probe.js on `core` (when pinning): `pausedMs()` is how long, so far, that core was
 * taken from it for more than 50 ms at a time (a host freezing the vCPU, or other processes).
 */
export function startPauseProbe(pin, core) {
  const argv = onCore(pin, core, [process.execPath, join(BENCH_DIR, 'lib', 'pause-probe.js')])
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] })
  children.add(child)
  let paused = 0
  let buffer = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffer += chunk
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    const lastLine = lines.at(-1)
    if (lastLine !== undefined && lastLine !== '') paused = Number(lastLine)
  })
  child.once('exit', () => children.delete(child))
  return {
    pausedMs: () => paused,
    stop: () => child.stdin.end(),
  }
}

/** Spawns a launcher and resolves with its URL once it prints `READY <url>`. */
export function launch([command, ...args], { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    const stderrTail = () => stderr.trim().slice(-2000)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no READY line within ${timeoutMs / 1000} s; stderr: ${stderrTail()}`))
    }, timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk
      const match = /^READY (\S+)$/m.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, url: match[1], stderr: stderrTail })
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      children.delete(child)
      clearTimeout(timer)
      reject(new Error(`exited (${signal ?? code}) before READY; stderr: ${stderrTail()}`))
    })
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or the signal's name). */
export function stop(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode)
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      resolve(code ?? signal)
    })
    child.kill('SIGTERM')
  })
}

/**
 * Sends the request once: undefined when the answer is right, else what was wrong. `expect` is
 * `tool` (the list_projects result, as JSON or as one SSE `message` event) or `echo` (the body back).
 */
export async function checkAnswer(url, headers, body, expect) {
  const response = await fetch(url, { method: 'POST', headers, body })
  const text = await response.text()
  if (response.status !== 200) return `HTTP ${response.status}: ${text.slice(0, 300)}`
  if (expect === 'echo') return text === body ? undefined : `echo differs: ${text.slice(0, 300)}`
  const type = response.headers.get('content-type') ?? ''
  const json = type.startsWith('text/event-stream') ? (/^data: (.*)$/m.exec(text)?.[1] ?? '') : text
  let message
  try {
    message = JSON.parse(json)
  } catch {
    return `not JSON (${type}): ${text.slice(0, 300)}`
  }
  const result = message?.result
  const projects = result?.structuredContent?.projects
  const ok =
    message.jsonrpc === '2.0' &&
    message.id === 1 &&
    result?.isError !== true &&
    Array.isArray(projects) &&
    projects.length === 1 &&
    typeof projects[0].id === 'string' &&
    projects[0].name === 'p' &&
    result.content?.[0]?.type === 'text' &&
    result.content[0].text === JSON.stringify(result.structuredContent)
  return ok ? undefined : `unexpected result: ${json.slice(0, 300)}`
}

/**
 * Runs bench/load.js in its own process (on LOAD_CORE when pinning) and resolves with its figures,
 * plus the server's CPU over the measured run when `serverPid` is given (see cpuFigures), and
 * `window` = the measured run's start and end on the monotonic clock, in µs.
 */
export function runLoad({ pin, url, headers, body, connections, warmup, seconds, serverPid, pauseProbe }) {
  const argv = onCore(pin, LOAD_CORE, [
    process.execPath,
    join(BENCH_DIR, 'load.js'),
    '--url',
    url,
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    '--body',
    body,
    '--connections',
    String(connections),
    '--warmup',
    String(warmup),
    '--duration',
    String(seconds),
  ])
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    let before
    let after
    let pausedBefore
    let pausedAfter
    const window = {}
    const timer = setTimeout(() => child.kill('SIGKILL'), (warmup + seconds + 60) * 1000)
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk
      if (window.startUs === undefined && /^MEASURING /m.test(stderr)) {
        window.startUs = monotonicUs()
        if (serverPid !== undefined) before = cpuSnapshot(serverPid)
        pausedBefore = pauseProbe?.pausedMs()
      }
    })
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk
      // The result line ends the measured run; the server is still up, so its CPU time is readable.
      if (window.startUs !== undefined && window.endUs === undefined && stdout.includes('}\n')) {
        window.endUs = monotonicUs()
        if (serverPid !== undefined) after = cpuSnapshot(serverPid)
        pausedAfter = pauseProbe?.pausedMs()
      }
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      try {
        if (code !== 0) throw new Error(`exit ${signal ?? code}`)
        const load = JSON.parse(stdout.trim().split('\n').at(-1) ?? '')
        const paused =
          pausedBefore === undefined || pausedAfter === undefined ? {} : { paused_ms: pausedAfter - pausedBefore }
        resolve({ ...load, ...cpuFigures(before, after, load, pin), ...paused, window })
      } catch (error) {
        reject(new Error(`load generator failed (${error.message}): ${stderr.trim().slice(-1000)}`))
      }
    })
  })
}

function monotonicUs() {
  return Number(process.hrtime.bigint() / 1000n)
}

/**
 * Per-core busy ticks (/proc/stat) and the server's own CPU ticks (/proc/<pid>/stat); Linux only,
 * `undefined` elsewhere. Clock ticks are 1/100 s.
 */
export function cpuSnapshot(pid) {
  try {
    const cores = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((line) => /^cpu\d+ /.test(line))
      .map((line) => {
        const [, user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number)
        const busy = user + nice + system + irq + softirq + steal
        return { busy, total: busy + idle + iowait }
      })
    // utime and stime are fields 14 and 15, i.e. 12th and 13th after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return { cores, server: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/**
 * Over the measured run: the server's CPU seconds, CPU per request, requests per second of server
 * CPU (what req/s would be if the server had its core to itself and were CPU-bound), and, when
 * pinned, the share of each core used by anything else (other processes, and kernel time not
 * charged to ours, e.g. loopback softirq work).
 */
export function cpuFigures(before, after, load, pin) {
  if (before === undefined || after === undefined) return {}
  const TICK = 100
  const serverCpu = (after.server - before.server) / TICK
  const figures = {
    server_cpu_s: Math.round(serverCpu * 100) / 100,
    server_cpu_us_per_req: serverCpu > 0 ? Math.round((serverCpu * 1e6) / load.total) : null,
    req_per_server_cpu_s: serverCpu > 0 ? Math.round(load.total / serverCpu) : null,
  }
  const core = (i) => {
    const a = after.cores[i]
    const b = before.cores[i]
    if (a === undefined || b === undefined || a.total === b.total) return undefined
    return { busy: (a.busy - b.busy) / TICK, total: (a.total - b.total) / TICK }
  }
  const serverCore = core(SERVER_CORE)
  const loadCore = core(LOAD_CORE)
  if (pin && serverCore !== undefined && loadCore !== undefined) {
    figures.server_core_other_pct = Math.max(0, Math.round((100 * (serverCore.busy - serverCpu)) / serverCore.total))
    figures.load_core_other_pct = Math.max(0, Math.round((100 * (loadCore.busy - load.loadgen_cpu_s)) / loadCore.total))
  }
  return figures
}
