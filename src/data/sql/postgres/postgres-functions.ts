/**
 * The functions dev-mode SQL may call on PostgreSQL (SPEC §5). Anything not
 * listed is refused: `pg_read_file`, `lo_import`, `set_config`,
 * `current_setting`, `dblink`, `pg_sleep`, `txid_*`, `pg_*` administration…
 * The names behind SQL-standard syntax are here too (`extract`, `substring`,
 * `btrim`, `position`, `timezone`, `overlay`, `overlaps`, `normalize`…): the
 * parser calls them `pg_catalog.<name>`, which the guard accepts for that
 * syntax only. `SYSTEM_USER` (`system_user`: how the server's connection
 * authenticated), `COLLATION FOR` (`pg_collation_for`) and `XMLEXISTS` are not.
 * SPEC §5's own functions (`get_username()`…) are not listed: they never
 * reach PostgreSQL, as the RLS rewrite replaces their calls (`session-functions.ts`).
 */
// prettier-ignore
export const POSTGRES_ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  'corr', 'covar_pop', 'covar_samp', 'regr_slope', 'regr_intercept', 'regr_r2', 'regr_count', 'bool_and',
  'bool_or', 'every', 'string_agg', 'array_agg', 'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
  'percentile_cont', 'percentile_disc', 'mode', 'bit_and', 'bit_or', 'any_value',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value',
  // numbers
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'trunc', 'sign', 'sqrt', 'cbrt', 'power', 'pow', 'exp', 'ln', 'log',
  'log10', 'mod', 'div', 'greatest', 'least', 'pi', 'degrees', 'radians', 'sin', 'cos', 'tan', 'asin', 'acos',
  'atan', 'atan2', 'width_bucket', 'gcd', 'lcm', 'factorial', 'scale', 'random',
  // text
  'lower', 'upper', 'length', 'char_length', 'character_length', 'octet_length', 'substring', 'substr', 'left',
  'right', 'trim', 'btrim', 'ltrim', 'rtrim', 'lpad', 'rpad', 'replace', 'reverse', 'repeat', 'concat',
  'concat_ws', 'position', 'strpos', 'split_part', 'starts_with', 'initcap', 'translate', 'format', 'ascii', 'chr',
  'md5', 'regexp_match', 'regexp_matches', 'regexp_replace', 'regexp_split_to_array', 'regexp_like',
  'regexp_count', 'regexp_substr', 'string_to_array', 'array_to_string', 'quote_literal', 'quote_ident',
  'to_char', 'to_number', 'to_date', 'to_timestamp', 'encode', 'decode', 'unaccent', 'overlay', 'normalize',
  'is_normalized',
  // dates and times
  'now', 'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'date_trunc',
  'date_part', 'extract', 'age', 'make_date', 'make_time', 'make_timestamp', 'make_timestamptz', 'make_interval',
  'date_bin', 'justify_days', 'justify_hours', 'justify_interval', 'isfinite', 'timezone', 'date_add',
  'date_subtract', 'overlaps',
  // conditionals and nulls
  'coalesce', 'nullif', 'num_nulls', 'num_nonnulls',
  // arrays and JSON values
  'array_length', 'cardinality', 'array_position', 'array_positions', 'array_remove', 'array_replace',
  'array_append', 'array_prepend', 'array_cat', 'unnest', 'json_build_object', 'jsonb_build_object',
  'json_build_array', 'jsonb_build_array', 'to_json', 'to_jsonb', 'json_extract_path', 'json_extract_path_text',
  'jsonb_extract_path', 'jsonb_extract_path_text', 'json_array_length', 'jsonb_array_length', 'json_typeof',
  'jsonb_typeof', 'jsonb_path_exists', 'jsonb_path_query_first',
  // grouping
  'grouping',
])

/** Schemas that are never visible in dev mode, whatever the policy (SPEC §5). */
export const POSTGRES_SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema', 'pg_toast'])
