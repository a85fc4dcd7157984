#!/usr/bin/env node
/* global console, process, setTimeout, clearTimeout, URL */
/**
 * Runs the MCP conformance suite's authorization-server scenarios against a
 * real Gatehouse, signing in through Chromium when the suite asks a person to.
 *
 *   node test/conformance/run-authorization-server.mjs [--json FILE] [--artifacts DIR] [--build]
 *
 * - installs the pinned suite and Node 22 outside the repository (cached; see conformance-suite.mjs);
 * - builds dist/ if it is missing (`--build`: always), then starts `gatehouse serve` seeded with
 *   the operator CLI (see gatehouse-world.mjs);
 * - runs `conformance authorization` with Node 22 twice: once sending the RFC 8707 `resource`
 *   (as MCP clients must), once without it (Gatehouse then defaults to its MCP endpoint);
 * - prints a per-scenario summary, and exits 1 when any scenario failed, was skipped or did not run.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NODE_VERSION, SUITE_PACKAGE, SUITE_VERSION, ensureSuite } from './conformance-suite.mjs'
import { EMAIL, PASSWORD, REPO, freePort, killChildren, spawnTracked, startGatehouse } from './gatehouse-world.mjs'
import { assertChromium, launchBrowser, signInAndApprove } from './browser-sign-in.mjs'

/** One suite run may wait this long in all (the suite itself waits up to 5 minutes for a callback). */
const RUN_TIMEOUT_MS = 180_000

function parseArgs(argv) {
  const args = { json: undefined, artifacts: undefined, build: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--json') args.json = argv[++i]
    else if (arg === '--artifacts') args.artifacts = argv[++i]
    else if (arg === '--build') args.build = true
    else
      throw new Error(
        `unknown argument ${arg}; usage: run-authorization-server.mjs [--json FILE] [--artifacts DIR] [--build]`,
      )
  }
  return args
}

const log = (line) => console.log(line)

function ensureBuilt(force) {
  if (!force && existsSync(join(REPO, 'dist', 'cli', 'main.js'))) return
  log('building dist/ (npm run build)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const build = spawnSync(npm, ['run', 'build'], { cwd: REPO, stdio: 'inherit' })
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status})`)
}

/** The suite's own list of authorization-server scenarios: every one of them must pass. */
function listScenarios(suite) {
  const listed = spawnSync(suite.node, [suite.cli, 'list', '--authorization'], { encoding: 'utf8' })
  if (listed.status !== 0) throw new Error(`conformance list failed: ${listed.stdout}${listed.stderr}`)
  const names = [...listed.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1])
  if (names.length === 0) throw new Error(`conformance list named no authorization scenario:\n${listed.stdout}`)
  return names
}

/**
 * One `conformance authorization` run. Echoes its output; when it prints an
 * authorization URL for a person to open, signs in through the browser.
 */
async function runSuite({ suite, gatehouse, callbackPort, resource, outputDir, artifacts, label, getBrowser }) {
  const args = [
    suite.cli,
    'authorization',
    '--url',
    gatehouse.base,
    '--client-id',
    gatehouse.clientId,
    '--port',
    String(callbackPort),
    '--output-dir',
    outputDir,
  ]
  if (resource !== undefined) args.push('--resource', resource)
  log(`$ node@${NODE_VERSION} conformance ${args.slice(1).join(' ')}`)
  const child = spawnTracked(suite.node, args, { cwd: artifacts, stdio: ['ignore', 'pipe', 'pipe'] })
  const signIns = []
  const problems = []
  let expectUrl = false
  let pending = ''
  const onLine = (line) => {
    log(`  suite| ${line}`)
    if (/Access the following URL in your browser/.test(line)) expectUrl = true
    else if (expectUrl && /^https?:\/\/\S+$/.test(line.trim())) {
      expectUrl = false
      const url = line.trim()
      const attempt = Promise.resolve()
        .then(getBrowser)
        .then((browser) =>
          signInAndApprove(browser, {
            url,
            email: EMAIL,
            password: PASSWORD,
            callbackUrl: gatehouse.redirectUri,
            artifacts,
            label: `${label}-${signIns.length}`,
            log,
          }),
        )
        .catch((error) => {
          problems.push(error.message.split('\n')[0])
          log(`  browser: ${error.message}`)
          child.kill('SIGTERM') // it would otherwise wait 5 minutes for a callback that will not come
        })
      signIns.push(attempt)
    }
  }
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk) => {
    for (const line of chunk.split('\n')) if (line !== '') log(`  suite! ${line}`)
  })
  const timer = setTimeout(() => {
    problems.push(`the suite did not finish in ${RUN_TIMEOUT_MS / 1000} s`)
    child.kill('SIGTERM')
  }, RUN_TIMEOUT_MS)
  const exitCode = await new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  clearTimeout(timer)
  if (pending !== '') onLine(pending)
  await Promise.all(signIns)
  return { exitCode, problems, signIns: signIns.length }
}

/** What a successful code grant showed: the redirect's parameters (code elided) and the token response's fields. */
function evidence(details) {
  const redirect = new URL(details.authorizationResponseUrl)
  const body = details.body ?? {}
  return (
    `redirect ${[...redirect.searchParams.keys()].join(',')} (iss ${redirect.searchParams.get('iss')}); ` +
    `token_type ${body.token_type}, scope ${body.scope}, expires_in ${body.expires_in}, ` +
    `refresh_token ${body.refresh_token === undefined ? 'no' : 'yes'}`
  )
}

/** The checks each scenario saved (`<outputDir>/authorization-server-<scenario>-<time>/checks.json`). */
function readResults(outputDir, scenarios) {
  const dirs = existsSync(outputDir) ? readdirSync(outputDir) : []
  return scenarios.map((name) => {
    const dir = dirs
      .filter((d) => d.startsWith(`authorization-server-${name}-`))
      .sort()
      .pop()
    if (dir === undefined) return { name, passed: false, reason: 'did not run (no results)', checks: [] }
    const file = join(outputDir, dir, 'checks.json')
    if (!existsSync(file)) return { name, passed: false, reason: 'did not finish (no checks.json)', checks: [] }
    const checks = JSON.parse(readFileSync(file, 'utf8')).map((c) => ({
      id: c.id,
      status: c.status,
      description: c.description,
      ...(c.errorMessage !== undefined && { errorMessage: c.errorMessage }),
      ...(c.details?.authorizationResponseUrl !== undefined && { evidence: evidence(c.details) }),
    }))
    const failed = checks.filter((c) => c.status === 'FAILURE')
    const succeeded = checks.filter((c) => c.status === 'SUCCESS')
    const reason =
      failed.length > 0
        ? `${failed.length} check(s) failed`
        : succeeded.length === 0
          ? 'no check succeeded (skipped?)'
          : undefined
    return { name, passed: reason === undefined, ...(reason !== undefined && { reason }), checks }
  })
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const artifacts = args.artifacts ?? mkdtempSync(join(tmpdir(), 'gatehouse-conformance-results-'))
  mkdirSync(artifacts, { recursive: true })
  assertChromium()
  const suite = ensureSuite({ log })
  const scenarios = listScenarios(suite)
  ensureBuilt(args.build)

  const callbackPort = await freePort()
  const gatehouse = await startGatehouse({ callbackPort, log })
  log(`Gatehouse at ${gatehouse.base}; results and screenshots in ${artifacts}`)
  let browser
  const getBrowser = () => (browser ??= launchBrowser())
  const runs = []
  try {
    for (const run of [
      { label: 'with-resource', resource: gatehouse.resource },
      { label: 'without-resource', resource: undefined },
    ]) {
      log(
        `\n== run ${run.label}${run.resource === undefined ? ' (no resource parameter)' : ` (resource ${run.resource})`}`,
      )
      const outputDir = join(artifacts, run.label)
      const outcome = await runSuite({ suite, gatehouse, callbackPort, outputDir, artifacts, getBrowser, ...run })
      runs.push({ ...run, ...outcome, scenarios: readResults(outputDir, scenarios) })
    }
  } finally {
    // A browser that never launched has already been reported as the run's problem.
    await Promise.resolve(browser)
      .then((b) => b?.close())
      .catch(() => undefined)
    await gatehouse.stop()
  }

  log(`\n== ${SUITE_PACKAGE}@${SUITE_VERSION} (node ${NODE_VERSION}): authorization-server scenarios against Gatehouse`)
  let passed = 0
  let failed = 0
  for (const run of runs) {
    log(`run ${run.label}: suite exit ${run.exitCode}, ${run.signIns} authorization URL(s) opened in the browser`)
    for (const problem of run.problems) log(`  problem: ${problem}`)
    for (const s of run.scenarios) {
      if (s.passed) passed++
      else failed++
      log(`  ${s.passed ? 'PASS' : 'FAIL'} ${s.name}${s.reason === undefined ? '' : ` — ${s.reason}`}`)
      for (const c of s.checks) {
        log(`       ${c.status.padEnd(7)} ${c.id}${c.errorMessage === undefined ? '' : `: ${c.errorMessage}`}`)
        if (c.evidence !== undefined) log(`               ${c.evidence}`)
      }
    }
  }
  const ok = failed === 0 && runs.every((r) => r.exitCode === 0 && r.problems.length === 0)
  const summary = {
    suite: `${SUITE_PACKAGE}@${SUITE_VERSION}`,
    node: NODE_VERSION,
    artifacts,
    ok,
    passed,
    failed,
    runs: runs.map((r) => ({
      label: r.label,
      resource: r.resource ?? null,
      exitCode: r.exitCode,
      signIns: r.signIns,
      problems: r.problems,
      scenarios: r.scenarios,
    })),
  }
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify(summary, null, 2))
  log(`conformance: ${passed} passed, ${failed} failed`)
  return ok ? 0 : 1
}

// Never leave `gatehouse serve` or the suite behind: not on an error, nor when this runner is stopped.
process.on('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killChildren()
    process.exit(130)
  })
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(2)
  },
)
