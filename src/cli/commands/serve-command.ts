import cluster from 'node:cluster'
import type { Command } from 'commander'
import { pino } from 'pino'
import type { GlobalOptions } from '../cli-context.js'
import { readConfig } from '../cli-context.js'
import type { Output } from '../output.js'
import { GatehouseError, InputError } from '../../domain/errors.js'
import { Store } from '../../store/store.js'
import { startServer } from '../../http/gatehouse-server.js'
import type { GatehouseConfig } from '../../config/config-schema.js'

function positiveInteger(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new InputError(`${flag}: "${value}" is not an integer between 0 and ${max}`)
  return n
}

/**
 * `serve`: one server process, or with `--workers N` a primary that forks N
 * workers sharing the port (node:cluster). Each worker has its own audit chain
 * and polls the store for revocations, like separate instances would.
 */
export function registerServeCommand(program: Command, output: Output): void {
  program
    .command('serve')
    .description('Start the server from the config')
    .option('--host <host>', 'override server.host')
    .option('--port <port>', 'override server.port')
    .option('--workers <n>', 'server processes sharing the port (default: server.workers)')
    .action(async (opts: { host?: string; port?: string; workers?: string }, cmd: Command) => {
      const base = readConfig(cmd.optsWithGlobals<GlobalOptions>())
      const port = positiveInteger('--port', opts.port, 65_535)
      const workers = positiveInteger('--workers', opts.workers, 64) ?? base.server.workers
      const config: GatehouseConfig = {
        ...base,
        server: {
          ...base.server,
          ...(opts.host !== undefined && { host: opts.host }),
          ...(port !== undefined && { port }),
        },
      }

      if (workers > 1 && cluster.isPrimary) {
        // Migrate once before forking, so workers never race to create the schema.
        const store = Store.open(config.store.url)
        await store.migrate()
        await store.close()
        if (!(await superviseWorkers(workers, config, output))) {
          throw new GatehouseError('INTERNAL', 'the workers could not start; their errors are above')
        }
        return
      }

      const logger = pino({ level: config.logging.level, base: { pid: process.pid } })
      const server = await startServer(config, { logger })
      if (cluster.isPrimary)
        output.out(`Gatehouse listening on ${server.url}; MCP endpoint ${config.server.public_url}/mcp`)
      else process.send?.({ type: 'listening', url: server.url })
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'shutting down: finishing requests and flushing the audit log')
          server.close().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed')
            process.exitCode = 1
            resolve()
          })
        }
        process.once('SIGTERM', () => shutdown('SIGTERM'))
        process.once('SIGINT', () => shutdown('SIGINT'))
      })
    })
}

/**
 * The primary of `serve --workers N`: forks the workers, replaces one that
 * dies unexpectedly, and on SIGTERM/SIGINT passes the signal on and waits until
 * every worker has finished its requests and flushed its audit chain.
 */
async function superviseWorkers(count: number, config: GatehouseConfig, output: Output): Promise<boolean> {
  let stopping = false
  let failed = false
  let announced = false
  const listening = new Set<number>()
  const alive = new Set<number>()
  const fork = () => {
    const worker = cluster.fork()
    alive.add(worker.id)
    worker.on('message', (message: { type?: string; url?: string }) => {
      if (message.type !== 'listening') return
      listening.add(worker.id)
      // Announce once every worker takes connections: the primary hands them only to listening workers.
      if (announced || listening.size < count) return
      announced = true
      output.out(
        `Gatehouse listening on ${message.url}; MCP endpoint ${config.server.public_url}/mcp (${count} workers)`,
      )
    })
  }
  for (let i = 0; i < count; i++) fork()
  const stop = () => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {}))
      if (worker?.isDead() === false) worker.process.kill('SIGTERM')
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  await new Promise<void>((resolve) =>
    cluster.on('exit', (worker, code) => {
      alive.delete(worker.id)
      if (!stopping && listening.has(worker.id)) {
        output.err(`worker ${worker.process.pid} exited with ${code}; starting another`)
        fork()
        return
      }
      if (!stopping) {
        // A worker that never started (port taken, store unreachable) would fail again: stop them all.
        output.err(`worker ${worker.process.pid} exited with ${code} before it was listening; stopping`)
        failed = true
        stop()
      }
      if (alive.size === 0) resolve()
    }),
  )
  return !failed
}

export function registerMigrateCommand(program: Command, output: Output): void {
  program
    .command('migrate')
    .description('Bring the store schema up to date (serve also does it)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals<GlobalOptions>())
      const store = Store.open(config.store.url)
      try {
        const applied = await store.migrate()
        output.out(
          opts.json === true
            ? JSON.stringify({ applied })
            : applied.length === 0
              ? 'The store schema is up to date'
              : `Applied ${applied.join(', ')}`,
        )
      } finally {
        await store.close()
      }
    })
}
