import type { Command } from 'commander'
import { pino } from 'pino'
import type { Output } from '../output.js'
import { GatehouseError, InputError } from '../../domain/errors.js'
import { loadConfig } from '../../config/load-config.js'
import { Store } from '../../store/store.js'
import { AuditWriter } from '../../audit/audit-writer.js'
import { startServer } from '../../http/gatehouse-server.js'
import { prepareDemoFiles, prepareDemoWorld } from '../demo/demo-setup.js'
import { clientConfigs, formatClientConfigs } from '../demo/client-configs.js'

const DEFAULT_PORT = 8000

/**
 * `demo`: the embedded default in one command (SPEC §3.3). Generates the
 * sample warehouse and a world to use it (org, users, project, API key),
 * starts the server and prints how to connect. With `--json` the first stdout
 * line is the machine-readable summary and progress goes to stderr.
 */
export function registerDemoCommand(program: Command, output: Output): Command {
  return program
    .command('demo')
    .description('Run the demo: a sample warehouse, an org with users, a project, an API key, and the server')
    .option('--port <n>', `port to serve on (default ${DEFAULT_PORT})`)
    .option('--dir <dir>', 'where the demo keeps its files', './gatehouse-demo')
    .option('--json', 'print the summary as one JSON line first')
    .action(async (opts: { port?: string; dir: string; json?: boolean }) => {
      const port = opts.port === undefined ? DEFAULT_PORT : Number(opts.port)
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new InputError(`--port: "${opts.port}" is not an integer between 1 and 65535`, 'port')
      }
      const progress = (message: string) => (opts.json === true ? output.err(message) : output.out(message))
      const files = await prepareDemoFiles(opts.dir, port, progress)
      const base = loadConfig({ path: files.configPath })
      const config = {
        ...base,
        server: {
          ...base.server,
          port,
          public_url: base.server.public_url.replace(/:\d+$/, `:${port}`),
        },
      }

      const store = Store.open(config.store.url)
      let world
      try {
        await store.migrate()
        const audit = new AuditWriter(store, { batchSize: config.audit.batch_size })
        try {
          world = await prepareDemoWorld(store, audit, files, {
            statementTimeoutMs: config.limits.statement_timeout_ms,
            progress,
          })
        } finally {
          await audit.close()
        }
      } finally {
        await store.close()
      }

      const logger = pino({ level: 'warn' })
      const server = await startServer(config, { logger }).catch((error: unknown) => {
        if ((error as { code?: string }).code === 'EADDRINUSE') {
          throw new GatehouseError('INPUT_INVALID', `Port ${port} is in use; pass --port with a free one`)
        }
        throw error
      })
      const baseUrl = config.server.public_url
      const mcpUrl = `${baseUrl}/mcp`
      const configs = clientConfigs(mcpUrl, world.apiKey)
      if (opts.json === true) {
        output.out(
          JSON.stringify({
            mcp_url: mcpUrl,
            base_url: baseUrl,
            config_path: files.configPath,
            org: world.org,
            project: world.project,
            api_key: world.apiKey,
            users: world.users,
            client_configs: configs,
          }),
        )
      } else {
        output.out(
          [
            '',
            'Gatehouse demo is running.',
            '',
            `  MCP URL   ${mcpUrl}`,
            `  API key   ${world.apiKey}`,
            `            (user ${world.users[0]?.email}; data:read, domains:read, sql:read; shown only now)`,
            ...world.users.map(
              (u, i) => `  ${i === 0 ? 'Users  ' : '       '}   ${u.email} / ${u.password} (${u.role})`,
            ),
            `  Files     ${files.dir}`,
            '',
            `OAuth: give a client the MCP URL alone (e.g. claude mcp add --transport http gatehouse ${mcpUrl});`,
            'it opens a browser where you sign in as one of the users above and approve. Or paste a config with the key:',
            '',
            formatClientConfigs(configs),
            '',
            `Serve it again later with: gatehouse serve --config ${files.configPath}`,
            'Press Ctrl+C to stop.',
          ].join('\n'),
        )
      }
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve, resolve)
        process.once('SIGTERM', stop)
        process.once('SIGINT', stop)
      })
    })
}
