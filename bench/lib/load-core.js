// The latency benches measure from the client's side: the client runs on the load core, the server on the
// server core, so that they never share one.
import { spawnSync } from 'node:child_process'
import { LOAD_CORE, canPin } from './harness.js'

/**
 * Whether pinning works here. When it does and this process is not yet pinned, runs this same command again
 * on the load core and exits with its status: the code after the call runs only in the pinned process.
 */
export function pinThisProcessToLoadCore() {
  const pin = canPin()
  if (pin && process.env.BENCH_PINNED !== '1') {
    const result = spawnSync('taskset', ['-c', String(LOAD_CORE), process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_PINNED: '1' },
    })
    process.exit(result.status ?? 1)
  }
  return pin
}
