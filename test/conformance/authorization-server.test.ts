import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const RUNNER = fileURLToPath(new URL('./run-authorization-server.mjs', import.meta.url))

/** The suite's authorization-server scenarios at the pinned version (`conformance list --authorization`). */
const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant']

interface Summary {
  readonly suite: string
  readonly ok: boolean
  readonly runs: readonly {
    readonly label: string
    readonly exitCode: number | string
    readonly signIns: number
    readonly problems: readonly string[]
    readonly scenarios: readonly {
      readonly name: string
      readonly passed: boolean
      readonly checks: readonly { readonly id: string; readonly status: string }[]
    }[]
  }[]
}

function runRunner(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    // Stopped before vitest gives up on the test, so that it ends its own children (`gatehouse serve`, the suite).
    const stop = setTimeout(() => child.kill('SIGTERM'), 570_000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(stop)
      resolve({ code, output })
    })
  })
}

// The MCP conformance suite (pinned pre-release, Node 22 from npm, outside the repo) against `gatehouse serve`,
// its authorization-code scenario signed in through Chromium: see run-authorization-server.mjs.
describe('MCP conformance: authorization-server scenarios', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-test-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('passes every scenario, with and without the resource parameter', { timeout: 600_000 }, async () => {
    const json = join(dir, 'summary.json')
    const { code, output } = await runRunner(['--json', json, '--artifacts', join(dir, 'artifacts')])
    if (code !== 0) console.log(output)
    expect(code, output.slice(-6000)).toBe(0)

    const summary = JSON.parse(readFileSync(json, 'utf8')) as Summary
    expect(summary.suite).toBe('@modelcontextprotocol/conformance@0.2.0-alpha.12')
    expect(summary.ok).toBe(true)
    expect(summary.runs.map((r) => r.label)).toEqual(['with-resource', 'without-resource'])
    for (const run of summary.runs) {
      expect(run.exitCode).toBe(0)
      expect(run.problems).toEqual([])
      expect(run.signIns).toBe(1) // the authorization-code scenario went through the login and consent pages
      expect(run.scenarios.map((s) => [s.name, s.passed])).toEqual(SCENARIOS.map((name) => [name, true]))
      const checks = Object.fromEntries(run.scenarios.flatMap((s) => s.checks.map((c) => [c.id, c.status])))
      expect(checks).toEqual({
        'authorization-server-metadata': 'SUCCESS',
        'authorization-server-metadata-cimd': 'SUCCESS',
        'authorization-code-grant': 'SUCCESS',
      })
    }
  })
})
