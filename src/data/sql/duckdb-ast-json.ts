/**
 * DuckDB's `json_serialize_sql` JSON, read and written without changing a
 * number. JavaScript would round 64-bit integers (`query_location`, BIGINT and
 * HUGEINT constants) and write the double `100.0` as `100`, which
 * `json_deserialize_sql` rejects; so every number is kept as the text DuckDB
 * wrote, in an object of its own: `{ "\u0000number": "100.0" }`. No key DuckDB
 * writes can start with NUL, and rewriting copies such an object like any node.
 */
export const DUCKDB_JSON_NUMBER = '\u0000number'

const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/

export function readDuckDbAstJson(json: string): unknown {
  // Strings are matched whole, so a digit inside one is never taken for a number.
  return JSON.parse(json.replace(TOKENS, (token) => (token.startsWith('"') ? token : `{"\\u0000number":"${token}"}`)))
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
