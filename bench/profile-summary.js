// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. written by bench/profile-mcp.js).
//
//   node bench/profile-summary.js <file.cpuprofile> [--top 25] [--from 5] [--to 15] [--json]
//
// --from/--to keep only the samples between those seconds after the profile started (e.g. to drop
// start-up and warm-up). See bench/lib/cpuprofile.js for what the figures mean.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { cut, formatSummary, summarise } from './lib/cpuprofile.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
})
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile> [--top N] [--from s] [--to s] [--json]')
  process.exit(2)
}

const profile = JSON.parse(readFileSync(positionals[0], 'utf8'))
const summary = summarise(profile, {
  fromUs: values.from === undefined ? 0 : Number(values.from) * 1e6,
  toUs: values.to === undefined ? Number.POSITIVE_INFINITY : Number(values.to) * 1e6,
})
if (values.json) {
  const { keptUs, busyUs } = summary
  console.log(JSON.stringify({ keptUs, busyUs, ...cut(summary, Number(values.top)) }, null, 2))
} else {
  console.log(`${positionals[0]}: ${formatSummary(summary, Number(values.top))}`)
}
