import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { ConfigError } from '../../src/domain/errors.js'
import { loadConfig } from '../../src/config/load-config.js'

/** The PEM the example's `file:` references read (not a real key: the config only checks the armour). */
export const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----'
export const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----'

/** The variables SPEC §3.1's example references. */
export const EXAMPLE_ENV = { GITHUB_CLIENT_ID: 'gh-id', GITHUB_CLIENT_SECRET: 'gh-secret', MY_APP_SECRET: 'app-secret' }

let dir: string | undefined
let caseNumber = 0

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** A fresh empty folder: a working directory that holds no config and no secret files. */
export function emptyDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'gatehouse-config-'))
  caseNumber += 1
  const folder = join(dir, `empty-${caseNumber}`)
  mkdirSync(folder)
  return folder
}

/** Writes `text` as gatehouse.yaml in a fresh folder (with the example's secret files) and returns that folder. */
export function configDir(text: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'gatehouse-config-'))
  caseNumber += 1
  const folder = join(dir, `case-${caseNumber}`)
  mkdirSync(join(folder, 'tls'), { recursive: true })
  mkdirSync(join(folder, 'secrets'))
  writeFileSync(join(folder, 'tls', 'tls.crt'), `${CERT}\n`)
  writeFileSync(join(folder, 'tls', 'tls.key'), `${KEY}\n`)
  writeFileSync(join(folder, 'secrets', 'corp_oidc'), 'corp-secret\n\n')
  writeFileSync(join(folder, 'gatehouse.yaml'), text)
  return folder
}

/** Loads `text` as gatehouse.yaml from a fresh folder. */
export function load(text: string, env: NodeJS.ProcessEnv = EXAMPLE_ENV) {
  const folder = configDir(text)
  return { folder, config: loadConfig({ path: 'gatehouse.yaml', cwd: folder, env }) }
}

/** The ConfigError loading `text` throws; fails the test if it loads or throws anything else. */
export function loadError(text: string, env: NodeJS.ProcessEnv = EXAMPLE_ENV): ConfigError {
  try {
    load(text, env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}
