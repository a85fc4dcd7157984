/**
 * Parses the JSON of DuckDB's `json_serialize_sql`. `query_location` values
 * are 64-bit (18446744073709551615 means "none"); JSON.parse would round them,
 * so they are read as exact text. Nothing else in the AST is that large.
 */
export function parseDuckDbAstJson(json: string): unknown {
  return JSON.parse(json.replace(/"query_location":(\d{16,})/g, '"query_location":"$1"'))
}
