/**
 * DuckDB's `json_serialize_sql` JSON, read and written without changing a
 * number. JavaScript would round 64-bit integers (`query_location`, BIGINT and
 * HUGEINT constants) and write the double `100.0` as `100`, which
 * `json_deserialize_sql` rejects; so every number is kept as the text DuckDB
 * wrote, in an object of its own: `{ "\u0000number": "100.0" }`. No key DuckDB
 * writes can start with NUL, and rewriting copies such an object like any node.
 */
export const DUCKDB_JSON_NUMBER = '\u0000number'

const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const LOCATION = '"query_location":'

/**
 * Source positions (`query_location`) are left out: they point into text
 * that the rewrite replaces, they are optional, and there are many of them.
 * A scanner rather than a regular expression: ASTs of long queries run to
 * megabytes.
 */
export function readDuckDbAstJson(json: string): unknown {
  const parts: string[] = []
  let last = 0
  let i = 0
  while (i < json.length) {
    const c = json.charCodeAt(i)
    if (c === QUOTE) {
      // A string followed by a colon is a key: no string value can hide a position or a number.
      if (json.startsWith(LOCATION, i) && isDigit(json.charCodeAt(i + LOCATION.length))) {
        const end = numberEnd(json, i + LOCATION.length)
        if (json.charCodeAt(end) === COMMA) {
          parts.push(json.slice(last, i))
          last = i = end + 1
          continue
        }
        if (json.charCodeAt(i - 1) === COMMA) {
          parts.push(json.slice(last, i - 1))
          last = i = end
          continue
        }
      }
      i = stringEnd(json, i)
    } else if (c === 0x2d || isDigit(c)) {
      const end = numberEnd(json, i)
      parts.push(json.slice(last, i), '{"\\u0000number":"', json.slice(i, end), '"}')
      last = i = end
    } else i += 1
  }
  parts.push(json.slice(last))
  return JSON.parse(parts.join(''))
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Past a number's last character: digits, sign, point and exponent. */
function numberEnd(json: string, start: number): number {
  let i = start + 1
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (!isDigit(c) && c !== 0x2e && c !== 0x65 && c !== 0x45 && c !== 0x2b && c !== 0x2d) break
  }
  return i
}

/** Past a string's closing quote: the first quote after `start` not escaped by an odd run of backslashes. */
function stringEnd(json: string, start: number): number {
  let i = start + 1
  for (;;) {
    const quote = json.indexOf('"', i)
    if (quote === -1) return json.length
    let backslashes = 0
    while (json.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1
    i = quote + 1
    if (backslashes % 2 === 0) return i
  }
}

export function writeDuckDbAstJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(writeDuckDbAstJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>
    const raw = node[DUCKDB_JSON_NUMBER]
    if (typeof raw === 'string' && Object.keys(node).length === 1) {
      if (!NUMBER.test(raw)) throw new TypeError(`Not a JSON number: ${raw}`)
      return raw
    }
    const fields = Object.entries(node).filter(([, field]) => field !== undefined)
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}:${writeDuckDbAstJson(field)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** The number's text for a kept number, the number itself for one JavaScript made. */
export function duckDbJsonNumberText(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const raw = (value as Record<string, unknown>)[DUCKDB_JSON_NUMBER]
    if (typeof raw === 'string') return raw
  }
  return undefined
}
