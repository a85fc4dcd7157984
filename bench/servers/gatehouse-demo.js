// Starts Gatehouse on the demo world (the same setup as `gatehouse demo`: the generated acme
// warehouse, 120,000 orders, the demo project, the admin's API key) and prints `READY <url>`.
// The API key goes to --key-file. SIGTERM/SIGINT: close, remove the temp dir, exit 0.
//
//   node bench/servers/gatehouse-demo.js --key-file /tmp/key [--port 0]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { configFromObject } from '../../dist/config/load-config.js'
import { startServer } from '../../dist/http/gatehouse-server.js'
import { Store } from '../../dist/store/store.js'
import { prepareDemoFiles, prepareDemoWorld } from '../../dist/cli/demo/demo-setup.js'

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, 'key-file': { type: 'string' } },
})
if (values['key-file'] === undefined) {
  console.error('gatehouse-demo.js: --key-file <path> is required')
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-demo-'))
let server
try {
  const files = await prepareDemoFiles(dir, 8000, () => {})
  const config = configFromObject(
    {
      server: { host: '127.0.0.1', port: Number(values.port) },
      store: { url: 'sqlite:./state.db' },
      logging: { level: 'silent' },
    },
    'bench',
    dir,
    {},
  )
  const store = Store.open(config.store.url)
  let world
  try {
    await store.migrate()
    world = await prepareDemoWorld(store, { record() {} }, files, { statementTimeoutMs: 15_000, progress: () => {} })
  } finally {
    await store.close()
  }
  writeFileSync(values['key-file'], world.apiKey, { mode: 0o600 })
  server = await startServer(config, { logger: pino({ level: 'silent' }) })
  console.log(`READY ${server.url}`)
} catch (error) {
  console.error(error)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
}

const stop = () =>
  server.close().finally(() => {
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
