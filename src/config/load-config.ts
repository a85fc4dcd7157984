import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { ConfigError } from '../domain/errors.js'
import { configErrorFromIssues, describeZodIssue, issuesFromZod } from './config-issue.js'
import { resolveReferences } from './config-references.js'
import { gatehouseConfigSchema } from './config-schema.js'
import type { GatehouseConfig } from './config-schema.js'
import { deepFreeze } from './deep-freeze.js'

export interface LoadConfigOptions {
  /** The config file, relative to `cwd` unless absolute. Errors name it as given here. */
  readonly path: string
  readonly env?: NodeJS.ProcessEnv
  /** When false, a missing file yields the defaults instead of an error. Defaults to true. */
  readonly required?: boolean
  /** Where a relative `path` starts, and where relative paths resolve when the file is missing. */
  readonly cwd?: string
}

/**
 * Reads, resolves and validates `gatehouse.yaml` (SPEC §3.1), then freezes it. Any problem is a
 * `ConfigError` naming the file, the key path and what was expected, so the server never starts on
 * a config it does not understand.
 *
 * `tls.cert` and `tls.key` take PEM text, normally through a reference: `cert: file:tls/cert.pem`.
 */
export function loadConfig(options: LoadConfigOptions): GatehouseConfig {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const absolute = resolve(cwd, options.path)
  let text: string
  try {
    text = readFileSync(absolute, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const missing = code === 'ENOENT' || code === 'ENOTDIR'
    if (missing && options.required === false) return configFromObject({}, options.path, cwd, env)
    const expected = missing
      ? `config file not found (looked for ${absolute})`
      : `cannot read the config file (${String(code)})`
    throw new ConfigError(options.path, '', expected, { cause: error })
  }
  return configFromObject(parseYamlText(text, options.path), options.path, dirname(absolute), env)
}

/**
 * Validates a config that is already a plain object (tests, programs that build one in memory).
 * `file` only names the source in errors; `baseDir` is where relative paths and `file:` references start.
 */
export function configFromObject(
  raw: unknown,
  file: string,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): GatehouseConfig {
  const resolved = resolveReferences(raw, { file, baseDir, env, readFile: (path) => readFileSync(path, 'utf8') })
  const parsed = gatehouseConfigSchema.safeParse(resolved, { reportInput: true, error: describeZodIssue })
  if (!parsed.success) throw configErrorFromIssues(file, issuesFromZod(parsed.error))
  const store = { ...parsed.data.store, url: resolveSqlitePath(parsed.data.store.url, baseDir) }
  return deepFreeze({ ...parsed.data, store })
}

/** YAML text to plain values; syntax errors become a `ConfigError` with line and column. */
export function parseYamlText(text: string, file: string): unknown {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const at = error.linePos?.[0]
      // yaml appends " at line L, column C:" and a code frame; the position goes in the key path instead.
      const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
      return { path: at === undefined ? '' : `line ${at.line}, column ${at.col}`, message: `invalid YAML: ${message}` }
    })
    throw configErrorFromIssues(file, issues)
  }
  try {
    // An empty file (or one with only comments) is a valid config of defaults.
    return doc.toJS() ?? {}
  } catch (error) {
    // toJS refuses alias bombs ("Excessive alias count").
    throw new ConfigError(file, '', `invalid YAML: ${(error as Error).message}`, { cause: error })
  }
}

const SQLITE = 'sqlite:'

function resolveSqlitePath(url: string, baseDir: string): string {
  if (!url.startsWith(SQLITE)) return url
  const path = url.slice(SQLITE.length)
  // `:memory:` and SQLite `file:` URIs are not paths on disk.
  if (path === ':memory:' || path.startsWith('file:') || isAbsolute(path)) return url
  return SQLITE + resolve(baseDir, path)
}
