import type { GatehouseConfig } from '../config/config-schema.js'
import { loadConfig } from '../config/load-config.js'
import { Store } from '../store/store.js'
import { AuditWriter } from '../audit/audit-writer.js'
import type { Org } from '../store/repositories/org-repository.js'
import { NotFoundError } from '../domain/errors.js'
import type { Output } from './output.js'

export const DEFAULT_CONFIG_PATH = './gatehouse.yaml'

export interface GlobalOptions {
  readonly config?: string
}

/** What a CLI command works with: the config, the store and an audit writer, closed by `run`. */
export interface CliContext {
  readonly config: GatehouseConfig
  readonly store: Store
  readonly audit: AuditWriter
  readonly output: Output
  org(ref: string): Promise<Org>
}

export function readConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): GatehouseConfig {
  // The default file is optional (defaults apply); a file named with --config must exist.
  return loadConfig({ path: options.config ?? DEFAULT_CONFIG_PATH, env, required: options.config !== undefined })
}

/** Opens the store (bringing its schema up to date), runs `work`, and closes everything, flushing the audit log. */
export async function withContext<T>(
  options: GlobalOptions,
  output: Output,
  work: (ctx: CliContext) => Promise<T>,
): Promise<T> {
  const config = readConfig(options)
  const store = Store.open(config.store.url)
  try {
    await store.migrate()
    const audit = new AuditWriter(store, { batchSize: config.audit.batch_size })
    try {
      return await work({
        config,
        store,
        audit,
        output,
        org: async (ref) => {
          const org = await store.orgs.findByRef(ref)
          if (org === undefined) throw new NotFoundError(`Organization ${ref}`)
          return org
        },
      })
    } finally {
      await audit.close()
    }
  } finally {
    await store.close()
  }
}
