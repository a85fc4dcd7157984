// Reads V8 .cpuprofile files (from `node --cpu-prof`): where the CPU time went, by function (self
// time), by function including callees (inclusive time), by file and by package. Percentages are of
// the kept samples, idle included: `(idle)` is time waiting for I/O, `(garbage collector)` is GC,
// `(program)` is native work V8 cannot attribute to a JS function. Frames of the compiled server
// (`dist/…js`) are named by their TypeScript source (`src/…ts:line`) through the build's source maps.
import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

/** Self and inclusive time per function, and self time per file and per package. */
export function summarise(cpuProfile, { fromUs = 0, toUs = Number.POSITIVE_INFINITY } = {}) {
  const nodes = new Map(cpuProfile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of cpuProfile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)

  const self = new Map()
  const inclusive = new Map()
  const byFile = new Map()
  const byPackage = new Map()
  let keptUs = 0
  let busyUs = 0
  let at = 0
  for (let i = 0; i < cpuProfile.samples.length; i++) {
    const delta = cpuProfile.timeDeltas[i] ?? 0
    at += delta
    if (at < fromUs || at > toUs) continue
    const node = nodes.get(cpuProfile.samples[i])
    if (node === undefined) continue
    keptUs += delta
    const frame = node.callFrame
    if (frame.functionName !== '(idle)') busyUs += delta
    add(self, functionKey(frame), delta)
    add(byFile, fileOf(frame), delta)
    add(byPackage, packageOf(frame), delta)
    // Each function once per sample, however deep it recurses.
    const seen = new Set()
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const key = functionKey(nodes.get(id).callFrame)
      if (key === '(root)' || seen.has(key)) continue
      seen.add(key)
      add(inclusive, key, delta)
    }
  }
  return {
    keptUs,
    busyUs,
    bySelf: sorted(self),
    byInclusive: sorted(inclusive),
    byFile: sorted(byFile),
    byPackage: sorted(byPackage),
  }
}

function add(map, key, delta) {
  map.set(key, (map.get(key) ?? 0) + delta)
}

function sorted(map) {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, us }))
}

export function cut(summary, n) {
  return {
    bySelf: summary.bySelf.slice(0, n),
    byInclusive: summary.byInclusive.slice(0, n),
    byFile: summary.byFile.slice(0, n),
    byPackage: summary.byPackage.slice(0, n),
  }
}

function shortUrl(url) {
  if (url === '') return ''
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('/node_modules/')
  if (nm !== -1) return path.slice(nm + '/node_modules/'.length)
  const dist = path.lastIndexOf('/dist/')
  if (dist !== -1) return path.slice(dist + 1)
  const bench = path.lastIndexOf('/bench/')
  if (bench !== -1) return path.slice(bench + 1)
  return path
}

const sourceMaps = new Map()

/** `{ file, line }` of a frame, in the TypeScript source when the compiled file has a source map. */
function location(frame) {
  const file = shortUrl(frame.url)
  const generated = { file, line: frame.lineNumber + 1 }
  if (!frame.url.startsWith('file://') || !file.startsWith('dist/')) return generated
  let map = sourceMaps.get(frame.url)
  if (map === undefined) {
    const path = `${fileURLToPath(frame.url)}.map`
    map = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : null
    sourceMaps.set(frame.url, map)
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber)
  if (entry?.originalSource === undefined) return generated
  const source = entry.originalSource.replace(/^(\.\.\/)+/, '')
  return { file: source, line: entry.originalLine + 1 }
}

function functionKey(frame) {
  if (frame.url === '') return frame.functionName || '(anonymous)'
  const { file, line } = location(frame)
  return `${frame.functionName || '(anonymous)'} ${file}:${line}`
}

function fileOf(frame) {
  return frame.url === '' ? frame.functionName || '(native)' : location(frame).file
}

function packageOf(frame) {
  const url = frame.url.replace(/^file:\/\//, '')
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)'
  if (url.startsWith('node:')) return 'node: (core)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  const dist = url.lastIndexOf('/dist/')
  if (dist !== -1) return `gatehouse src/${url.slice(dist + '/dist/'.length).split('/')[0]}`
  return url
}

function pct(part, whole) {
  return whole === 0 ? '0.0 %' : `${((100 * part) / whole).toFixed(1)} %`
}

/** The summary as text: four tables of the `top` largest entries. */
export function formatSummary(summary, top) {
  const t = cut(summary, top)
  const table = (title, rows) =>
    [
      '',
      title,
      ...rows.map(
        (row) =>
          `  ${pct(row.us, summary.keptUs).padStart(7)}  ${(row.us / 1000).toFixed(0).padStart(7)} ms  ${row.name}`,
      ),
    ].join('\n')
  return [
    `${(summary.keptUs / 1e6).toFixed(2)} s of samples, ${pct(summary.busyUs, summary.keptUs)} busy (not idle)`,
    table('Self time by function', t.bySelf),
    table(
      'Inclusive time by function (self + callees; async continuations count under the microtask queue)',
      t.byInclusive,
    ),
    table('Self time by file', t.byFile),
    table('Self time by package', t.byPackage),
  ].join('\n')
}
