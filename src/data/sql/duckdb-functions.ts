/**
 * The functions dev-mode SQL may call on DuckDB (SPEC §5): operators and the
 * usual analytics functions. Anything not listed is refused, so a function
 * that reads files, the network, settings or other databases (`read_*`,
 * `glob`, `getenv`, `current_setting`, `query`, `query_table`…) never runs,
 * and neither does one added by a future DuckDB release until it is reviewed.
 * SPEC §5's own functions (`get_username()`…) are not listed: they never
 * reach DuckDB, as the RLS rewrite replaces their calls (`session-functions.ts`).
 */
// prettier-ignore
export const DUCKDB_ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // operators (DuckDB spells them as functions)
  '+', '-', '*', '/', '//', '%', '**', '^', '||', '&', '|', '<<', '>>', '~', '!__postfix',
  '~~', '!~~', '~~*', '!~~*', '~~~', '!~~~', '^@', '@>', '<@', '&&',
  // aggregates
  'count', 'count_star', 'sum', 'avg', 'mean', 'min', 'max', 'median', 'mode', 'quantile', 'quantile_cont',
  'quantile_disc', 'approx_count_distinct', 'approx_quantile', 'stddev', 'stddev_pop', 'stddev_samp', 'variance',
  'var_pop', 'var_samp', 'corr', 'covar_pop', 'covar_samp', 'first', 'last', 'any_value', 'arg_min', 'arg_max',
  'argmin', 'argmax', 'min_by', 'max_by', 'bool_and', 'bool_or', 'string_agg', 'group_concat', 'list', 'array_agg',
  'histogram', 'product', 'fsum', 'sumkahan', 'kahan_sum', 'bit_and', 'bit_or', 'bit_xor', 'entropy', 'kurtosis',
  'skewness', 'regr_slope', 'regr_intercept', 'regr_r2', 'regr_count', 'regr_avgx', 'regr_avgy', 'mad',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value',
  // numbers
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'round_even', 'trunc', 'sign', 'sqrt', 'cbrt', 'pow', 'power', 'exp',
  'ln', 'log', 'log2', 'log10', 'mod', 'greatest', 'least', 'pi', 'degrees', 'radians', 'sin', 'cos', 'tan', 'asin',
  'acos', 'atan', 'atan2', 'isnan', 'isinf', 'isfinite', 'even', 'factorial', 'gcd', 'lcm', 'bit_count',
  'greatest_common_divisor', 'least_common_multiple', 'divide', 'add', 'subtract', 'multiply',
  // text
  'lower', 'upper', 'lcase', 'ucase', 'length', 'len', 'char_length', 'character_length', 'octet_length',
  'strlen', 'substring', 'substr', 'left', 'right', 'trim', 'ltrim', 'rtrim', 'lpad', 'rpad', 'replace',
  'reverse', 'repeat', 'concat', 'concat_ws', 'contains', 'starts_with', 'ends_with', 'prefix', 'suffix',
  'position', 'strpos', 'instr', 'split_part', 'string_split', 'str_split', 'regexp_matches', 'regexp_replace',
  'regexp_extract', 'regexp_extract_all', 'regexp_full_match', 'like_escape', 'ilike_escape', 'not_like_escape',
  'not_ilike_escape', 'format', 'printf',
  'ascii', 'chr', 'unicode', 'md5', 'sha256', 'hash', 'levenshtein', 'jaro_winkler_similarity', 'damerau_levenshtein',
  'jaccard', 'hamming', 'mismatches', 'nfc_normalize', 'strip_accents', 'initcap', 'translate', 'to_base64',
  'from_base64', 'bar', 'formatreadablesize', 'format_bytes',
  // dates and times
  'now', 'current_date', 'current_time', 'current_timestamp', 'today', 'date_trunc', 'datetrunc', 'date_part',
  'datepart', 'extract', 'date_diff', 'datediff', 'date_sub', 'datesub', 'date_add', 'age', 'year', 'month', 'day',
  'hour', 'minute', 'second', 'millisecond', 'microsecond', 'week', 'weekofyear', 'weekday', 'dayofweek', 'isodow',
  'dayofmonth', 'dayofyear', 'quarter', 'yearweek', 'isoyear', 'era', 'decade', 'century', 'millennium', 'epoch',
  'epoch_ms', 'epoch_us', 'epoch_ns', 'make_date', 'make_time', 'make_timestamp', 'strftime', 'strptime',
  'try_strptime', 'to_timestamp', 'time_bucket', 'last_day', 'monthname', 'dayname', 'to_days', 'to_hours',
  'to_minutes', 'to_seconds', 'to_months', 'to_years', 'to_weeks', 'to_milliseconds', 'to_microseconds',
  'timezone', 'date_part_ns',
  // conditionals, casts, nulls
  'coalesce', 'ifnull', 'nullif', 'if', 'iff', 'typeof', 'try_cast', 'isnull', 'notnull',
  // lists, structs, maps
  'list_value', 'list_pack', 'struct_pack', 'row', 'map', 'list_extract', 'list_element', 'array_extract',
  'list_slice', 'array_slice', 'list_contains', 'list_has', 'array_contains', 'list_position', 'list_concat',
  'array_concat', 'list_distinct', 'list_sort', 'list_reverse_sort', 'list_aggregate', 'list_aggr',
  'list_transform', 'list_apply', 'array_transform', 'list_filter', 'array_filter', 'list_reduce', 'unnest',
  'array_length', 'len', 'cardinality', 'struct_extract', 'map_extract', 'map_keys', 'map_values', 'range',
  'generate_series', 'flatten', 'list_sum', 'list_avg', 'list_min', 'list_max', 'list_count', 'list_unique',
  'element_at',
  // JSON values (not files)
  'json_extract', 'json_extract_string', 'json_value', 'json_array_length', 'json_type', 'json_valid',
  'json_keys', 'json_object', 'json_array', 'to_json', 'json_contains', 'json_exists',
  // grouping
  'grouping', 'grouping_id',
])

/**
 * The functions DuckDB's parser calls `main.<name>` for its own syntax: list
 * and struct literals (`[…]`, `{…}`), row constructors, `MAP {…}`, list
 * comprehensions, `EXTRACT`, `AT TIME ZONE`, `POSITION … IN`, `SUBSTRING`,
 * `TRIM` and `LIKE … ESCAPE`. The guard accepts that qualifier for these names
 * only (and only when `DUCKDB_ALLOWED_FUNCTIONS` lists them too).
 */
// prettier-ignore
export const DUCKDB_SYNTAX_FUNCTIONS: ReadonlySet<string> = new Set([
  'list_value', 'struct_pack', 'row', 'map', 'list_apply', 'list_filter', 'struct_extract', 'date_part',
  'timezone', 'position', 'substring', 'trim', 'ltrim', 'rtrim', 'like_escape', 'not_like_escape',
  'ilike_escape', 'not_ilike_escape',
])

/** Table and catalog names that are never visible in dev mode, whatever the policy (SPEC §5). */
export const DUCKDB_SYSTEM_SCHEMAS: ReadonlySet<string> = new Set([
  'information_schema',
  'pg_catalog',
  'system',
  'temp',
])

export function isDuckDbSystemName(name: string): boolean {
  const n = name.toLowerCase()
  return n.startsWith('duckdb_') || n.startsWith('sqlite_') || n.startsWith('pragma_') || n.startsWith('pg_')
}
