/* global process, setTimeout, URL */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const GATEHOUSE_BIN = join(REPO, 'bin', 'gatehouse.js')

/** The same user as test/support/oauth-world.ts. */
export const EMAIL = 'ada@acme.test'
export const PASSWORD = 'correct horse battery staple'

/** Every child process started here, ended when this process ends however it ends (see `killChildren`). */
const children = new Set()

/** Spawns a child that `killChildren` will end. */
export function spawnTracked(command, args, options) {
  const child = spawn(command, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** SIGTERM to each child still running (only those this process started). */
export function killChildren() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
}

/** A free loopback port: `public_url` and the suite's redirect URI must name ports that are really listened on. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Runs the built CLI (`bin/gatehouse.js`) with Node 20, as an operator would; its stdout, or an error with its output. */
function cli(args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [GATEHOUSE_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`gatehouse ${args.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`)),
    )
    child.stdin.end(input)
  })
}

/**
 * A Gatehouse server as it is deployed: `gatehouse serve` from the built
 * `dist/`, on a free loopback port with `public_url` = its real address, over
 * a fresh SQLite store seeded with the operator CLI. Like
 * test/support/oauth-world.ts: a user with a password in org acme with
 * project analytics, and a second org the user is not in; plus one public
 * client (PKCE, no secret) whose redirect URI is the suite's callback.
 */
export async function startGatehouse({ callbackPort, log = () => {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-'))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const config = join(dir, 'gatehouse.yaml')
  writeFileSync(
    config,
    [
      'server:',
      '  host: 127.0.0.1',
      `  port: ${port}`,
      `  public_url: ${base}`,
      'store:',
      '  url: sqlite:./state.db',
      'logging:',
      '  level: warn',
      '',
    ].join('\n'),
  )
  const g = (...args) => cli(['--config', config, ...args])
  let serve
  const stop = async () => {
    if (serve !== undefined && serve.exitCode === null) {
      await new Promise((resolve) => {
        serve.once('exit', resolve)
        serve.kill('SIGTERM')
        setTimeout(() => serve.kill('SIGKILL'), 10_000).unref()
      })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await g('orgs', 'create', 'acme')
    await g('orgs', 'create', 'globex')
    await g('projects', 'create', 'secret-plans', '--org', 'globex')
    await g('projects', 'create', 'analytics', '--org', 'acme')
    await cli(['--config', config, 'users', 'create', '--org', 'acme', '--email', EMAIL, '--password-stdin'], PASSWORD)
    const redirectUri = `http://127.0.0.1:${callbackPort}/callback`
    const client = JSON.parse(
      await g('clients', 'create', '--name', 'MCP Conformance Suite', '--redirect-uri', redirectUri, '--json'),
    )
    log(`seeded ${config}: org acme/analytics, user ${EMAIL}, public client ${client.client_id} -> ${redirectUri}`)

    serve = spawnTracked(process.execPath, [GATEHOUSE_BIN, '--config', config, 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    serve.stderr.on('data', (c) => (output += c))
    await new Promise((resolve, reject) => {
      serve.stdout.on('data', (c) => {
        output += c
        if (/Gatehouse listening on /.test(output)) resolve()
      })
      serve.once('exit', (code) =>
        reject(new Error(`gatehouse serve exited with ${code} before listening:\n${output}`)),
      )
      setTimeout(() => reject(new Error(`gatehouse serve did not start in 20 s:\n${output}`)), 20_000).unref()
    })
    return { base, resource: `${base}/mcp`, clientId: client.client_id, redirectUri, serverOutput: () => output, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
