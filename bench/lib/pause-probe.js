// A tiny process that notices when its core stops running it: a 10 ms timer that fires more than 50 ms
// late means the core was taken away (the host froze the vCPU, or other processes hogged it). Run it
// pinned next to a server under test; it prints the cumulative paused milliseconds on every pause, so
// a harness can read how much of a measured window the core was not there. Exits when stdin closes.
const TICK_MS = 10
const THRESHOLD_MS = 50

let last = performance.now()
let paused = 0
setInterval(() => {
  const now = performance.now()
  const late = now - last - TICK_MS
  last = now
  if (late > THRESHOLD_MS) {
    paused += late
    process.stdout.write(`${Math.round(paused)}\n`)
  }
}, TICK_MS)
process.stdout.write('0\n')
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
process.once('SIGTERM', () => process.exit(0))
