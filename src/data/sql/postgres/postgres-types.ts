/**
 * The types dev-mode SQL may name on PostgreSQL (SPEC §5), in casts and every
 * other type-name position, as the grammar leaves them: `int` is
 * `pg_catalog.int4`, `date` stays `date`. Only scalar types of `pg_catalog`
 * (and their arrays), which PostgreSQL searches before the schemas of
 * `search_path` unless that lists it later: a name that is not one of them
 * could resolve to a table's row type (`NULL::audit_trail`
 * names a hidden table and every column; `(NULL::orders).*` lists the columns a
 * policy hides), to a catalog lookup (`regclass`, `regtype`, `oid`…) or to
 * another user type. All of those get one answer, so none can be probed.
 */
// prettier-ignore
export const POSTGRES_ALLOWED_TYPES: ReadonlySet<string> = new Set([
  // numbers
  'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'money',
  // text
  'text', 'varchar', 'bpchar', 'char', 'name',
  // dates and times
  'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval',
  // others
  'bool', 'uuid', 'json', 'jsonb', 'jsonpath', 'bytea', 'bit', 'varbit', 'inet', 'cidr', 'macaddr', 'macaddr8',
  // ranges
  'int4range', 'int8range', 'numrange', 'daterange', 'tsrange', 'tstzrange',
])
