import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll } from 'vitest'
import { run } from '../../src/cli/main.js'

export interface CliResult {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** A store of its own: a temp folder with gatehouse.yaml pointing at a SQLite file in it. */
export interface Workspace {
  readonly dir: string
  readonly config: string
  readonly url: string
  cli(args: readonly string[], stdin?: string): Promise<CliResult>
  json<T>(args: readonly string[]): Promise<T>
}

const workspaces: string[] = []

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
  workspaces.push(dir)
  const url = `sqlite:${join(dir, 'state.db')}`
  const config = join(dir, 'gatehouse.yaml')
  writeFileSync(config, `store:\n  url: ${url}\n`)
  const cli = async (args: readonly string[], stdin?: string): Promise<CliResult> => {
    const out: string[] = []
    const err: string[] = []
    const code = await run(['node', 'gatehouse', '--config', config, ...args], {
      out: (text) => void out.push(text),
      err: (text) => void err.push(text),
      ...(stdin !== undefined && { input: Readable.from([stdin]) }),
    })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  const json = async <T>(args: readonly string[]): Promise<T> => {
    const result = await cli([...args, '--json'])
    if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} failed (${result.code}): ${result.err}`)
    return JSON.parse(result.out) as T
  }
  return { dir, config, url, cli, json }
}

afterAll(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true })
})
