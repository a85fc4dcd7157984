import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const GATEHOUSE_BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url))

export interface ServeProcess extends AsyncDisposable {
  readonly url: string
  readonly process: ChildProcess
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/** Starts `gatehouse serve` as its own process (from the built dist/) and waits until it listens. */
export async function spawnServe(configPath: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, '--config', configPath, 'serve', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Gatehouse listening on (\S+);/.exec(output)
      if (match !== null) resolve(match[1] as string)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`gatehouse serve exited with ${code} before listening:\n${output}`)))
    setTimeout(() => reject(new Error(`gatehouse serve did not start in 15 s:\n${output}`)), 15_000).unref()
  })
  let exited: Promise<number | null> | undefined
  const stop = () => {
    exited ??= new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode)
      else {
        child.once('exit', (code) => resolve(code))
        child.kill('SIGTERM')
      }
    })
    return exited
  }
  return { url, process: child, stop, [Symbol.asyncDispose]: async () => void (await stop()) }
}

/** Runs the CLI as its own process; resolves with exit code and output. */
export function runCli(
  args: readonly string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}
