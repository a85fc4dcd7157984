/**
 * The types dev-mode SQL may name on DuckDB (SPEC §5), as `json_serialize_sql`
 * gives them: the parser resolves a built-in type name to its id (`int` is
 * INTEGER) without the catalog, and nested types carry their children, which
 * are checked as well. Any other name stays UNBOUND and is looked up in the
 * catalog when the query is bound: a user type (`CREATE TYPE mood AS ENUM`),
 * or a name that exists nowhere, would answer differently and so be probed.
 * Those get one answer, whatever the name, except the few below.
 */
// prettier-ignore
export const DUCKDB_ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
  'UBIGINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'DECIMAL', 'BIGNUM', 'VARCHAR', 'BLOB', 'BIT', 'UUID', 'NULL',
  'DATE', 'TIME', 'TIME_NS', 'TIME WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS',
  'TIMESTAMP WITH TIME ZONE', 'INTERVAL',
  // nested: their child types are checked too
  'LIST', 'ARRAY', 'STRUCT', 'MAP', 'UNION',
])

/** Unqualified names DuckDB binds to a built-in type (lower-case): JSON comes from its extension. */
export const DUCKDB_ALLOWED_TYPE_NAMES: ReadonlySet<string> = new Set(['json'])
