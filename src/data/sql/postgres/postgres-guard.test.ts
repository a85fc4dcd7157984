import { describe, expect, it } from 'vitest'
import { parsePostgres } from './postgres-parser.js'
import { guardPostgresSelect } from './postgres-guard.js'

const catalog = {
  database: 'analytics',
  defaultSchema: 'public',
  tables: new Set(['public.orders', 'public.customers', 'sales.targets']),
}
const strict = { allowParameters: false }
const guard = async (sql: string, options = strict) => guardPostgresSelect(await parsePostgres(sql), catalog, options)
const nest = (depth: number, open: string, inner: string, close: string) =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`

describe('the PostgreSQL dev-mode guard (SPEC §5)', () => {
  it.each([
    ['a plain select', 'SELECT id FROM orders', ['public.orders']],
    [
      'a join with qualified names',
      'SELECT o.id FROM public.orders o JOIN customers c ON c.id = o.customer_id',
      ['public.orders', 'public.customers'],
    ],
    ['the database name as catalog', 'SELECT count(*) FROM analytics.public.orders', ['public.orders']],
    ['another schema', 'SELECT * FROM sales.targets', ['sales.targets']],
    ['unquoted names in any case', 'SELECT * FROM ORDERS', ['public.orders']],
    [
      'aggregates and windows',
      'SELECT region, sum(amount), rank() OVER (ORDER BY sum(amount)) FROM orders GROUP BY region',
      ['public.orders'],
    ],
    ['a CTE, which is not a table', 'WITH t AS (SELECT * FROM orders) SELECT count(*) FROM t', ['public.orders']],
    [
      'a CTE named like a table: its body is what is read',
      'WITH customers AS (SELECT * FROM orders) SELECT * FROM customers',
      ['public.orders'],
    ],
    ['set operations', 'SELECT id FROM orders UNION SELECT id FROM customers', ['public.orders', 'public.customers']],
    [
      'subqueries and EXISTS',
      'SELECT (SELECT max(id) FROM customers) FROM orders WHERE EXISTS (SELECT 1 FROM sales.targets)',
      ['public.customers', 'public.orders', 'sales.targets'],
    ],
    [
      'a recursive CTE',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
      [],
    ],
    [
      'a lateral subquery',
      'SELECT * FROM orders o, LATERAL (SELECT * FROM customers c WHERE c.id = o.customer_id) x',
      ['public.orders', 'public.customers'],
    ],
    ['TABLE syntax', 'TABLE orders', ['public.orders']],
    [
      'a CTE that reads the table it is named after: in its own body the name is the table',
      'WITH orders AS (SELECT * FROM orders WHERE id > 1) SELECT * FROM orders',
      ['public.orders'],
    ],
    [
      'a plain WITH: a CTE body sees only the CTEs before it',
      'WITH a AS (SELECT * FROM customers), customers AS (SELECT 1 AS id) SELECT * FROM a, customers',
      ['public.customers'],
    ],
    [
      'a CTE that reads an earlier one',
      'WITH a AS (SELECT * FROM orders), b AS (SELECT * FROM a) SELECT * FROM b',
      ['public.orders'],
    ],
    [
      'WITH RECURSIVE: every name of the list is a CTE, in every body',
      'WITH RECURSIVE a AS (SELECT * FROM customers), customers AS (SELECT 1 AS id) SELECT * FROM a',
      [],
    ],
    [
      'a schema-qualified name, which is never a CTE',
      'WITH orders AS (SELECT 1 AS id) SELECT * FROM public.orders, analytics.public.orders AS o2',
      ['public.orders'],
    ],
    [
      'a WITH inside one arm of a UNION, scoped to that arm',
      '(WITH secrets AS (SELECT 1 AS id) SELECT id FROM secrets) UNION ALL SELECT id FROM customers',
      ['public.customers'],
    ],
    [
      'a WITH on a set operation, seen by both arms',
      'WITH secrets AS (SELECT 1 AS id) SELECT id FROM secrets UNION SELECT id FROM secrets',
      [],
    ],
    [
      'casts to scalar and array types',
      `SELECT id::text, id::bigint, amount::numeric(10, 2), CAST(id AS int), id::varchar(10), id::double precision,
              '2024-01-01'::date, now()::timestamptz, '1 day'::interval, '{}'::jsonb, '{"a": 1}'::json,
              ARRAY[id]::int[], true::boolean, 'a'::char(1), '00000000-0000-0000-0000-000000000000'::uuid,
              '[1,2)'::int4range, '$.a'::jsonpath, 'x'::pg_catalog.text
         FROM orders`,
      ['public.orders'],
    ],
    [
      'typed literals',
      "SELECT date '2024-01-01', interval '1 day', timestamp '2024-01-01 00:00', time '12:00', timestamptz 'now'",
      [],
    ],
    [
      'a type in a SQL/JSON RETURNING clause',
      `SELECT JSON_VALUE('{"a": 1}', '$.a' RETURNING int), JSON_SERIALIZE('{}' RETURNING text)`,
      [],
    ],
    ['EXTRACT (pg_catalog.extract, SQL syntax)', 'SELECT EXTRACT(YEAR FROM now()) FROM orders', ['public.orders']],
    [
      'SUBSTRING, TRIM, POSITION and OVERLAY in SQL syntax',
      `SELECT SUBSTRING(email FROM 1 FOR 3), SUBSTRING(email FOR 2), SUBSTRING(email SIMILAR 'a%' ESCAPE '#'),
              TRIM(BOTH ' ' FROM email), TRIM(LEADING 'x' FROM email), TRIM(TRAILING FROM email), TRIM(email),
              POSITION('@' IN email), OVERLAY(email PLACING 'x' FROM 2 FOR 3)
         FROM customers`,
      ['public.customers'],
    ],
    [
      'AT TIME ZONE (pg_catalog.timezone, SQL syntax)',
      "SELECT now() AT TIME ZONE 'UTC', now()::timestamp AT TIME ZONE 'Europe/Paris'",
      [],
    ],
    ['OVERLAPS', "SELECT (now(), now()) OVERLAPS (DATE '2024-01-01', DATE '2025-01-01')", []],
    [
      'NORMALIZE and IS NORMALIZED',
      'SELECT NORMALIZE(email), email IS NFC NORMALIZED FROM customers',
      ['public.customers'],
    ],
    [
      'an expression 500 operators deep',
      `SELECT count(*) FROM orders WHERE id ${'+ 1 '.repeat(500)}> 100`,
      ['public.orders'],
    ],
    ['200 nested parentheses', `SELECT sum(${nest(200, '(', 'id', ')')}) FROM orders`, ['public.orders']],
    [
      '40 nested subqueries',
      `SELECT count(*) FROM ${nest(40, '(SELECT * FROM ', 'orders', ') AS n')}`,
      ['public.orders'],
    ],
  ])('accepts %s', async (_, sql, tables) => {
    expect((await guard(sql)).map((r) => `${r.schema}.${r.table}`).sort()).toEqual([...tables].sort())
  })

  it.each([
    ['two statements', 'SELECT 1; SELECT 2', 'Exactly one SQL statement is accepted'],
    ['a write', 'INSERT INTO orders (id) VALUES (1)', 'Only a single read-only SELECT statement is accepted'],
    ['DDL', 'CREATE TABLE x (a int)', 'Only a single read-only SELECT statement is accepted'],
    ['COPY', "COPY orders TO '/tmp/x'", 'Only a single read-only SELECT statement is accepted'],
    ['SET', 'SET statement_timeout = 0', 'Only a single read-only SELECT statement is accepted'],
    ['EXPLAIN', 'EXPLAIN SELECT 1', 'Only a single read-only SELECT statement is accepted'],
    ['SHOW', 'SHOW search_path', 'Only a single read-only SELECT statement is accepted'],
    [
      'a DELETE in WITH',
      'WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x',
      'Data-modifying statements in WITH are not allowed (DELETE): dev-mode SQL only reads',
    ],
    [
      'an INSERT in WITH',
      'WITH x AS (INSERT INTO orders (id) VALUES (1) RETURNING id) SELECT * FROM x',
      'Data-modifying statements in WITH are not allowed (INSERT): dev-mode SQL only reads',
    ],
    [
      'an UPDATE in WITH',
      'WITH x AS (UPDATE orders SET id = 0 RETURNING id) SELECT count(*) FROM x',
      'Data-modifying statements in WITH are not allowed (UPDATE): dev-mode SQL only reads',
    ],
    [
      'a MERGE in WITH',
      'WITH x AS (MERGE INTO orders o USING customers c ON o.id = c.id WHEN MATCHED THEN DELETE RETURNING o.id) SELECT * FROM x',
      'Data-modifying statements in WITH are not allowed (MERGE): dev-mode SQL only reads',
    ],
    [
      'a DELETE in the WITH of a subquery',
      'SELECT * FROM (WITH x AS (DELETE FROM orders RETURNING id) SELECT * FROM x) s',
      'Data-modifying statements in WITH are not allowed (DELETE): dev-mode SQL only reads',
    ],
    [
      'a DELETE in a CTE no one reads',
      'WITH x AS (DELETE FROM orders RETURNING id) SELECT 1',
      'Data-modifying statements in WITH are not allowed (DELETE): dev-mode SQL only reads',
    ],
    ['SELECT INTO', 'SELECT * INTO copy FROM orders', 'SELECT INTO creates a table and is not allowed'],
    ['FOR UPDATE', 'SELECT * FROM orders FOR UPDATE', 'FOR UPDATE and FOR SHARE are not allowed'],
    [
      'a table function',
      'SELECT * FROM generate_series(1, 3)',
      "Table functions are not allowed (generate_series): query the connection's tables",
    ],
    [
      'pg_catalog',
      'SELECT * FROM pg_catalog.pg_class',
      'System catalogs are not available (pg_catalog.pg_class): use list_tables and describe_table',
    ],
    [
      'a pg_ view without schema',
      'SELECT * FROM pg_stat_activity',
      'System catalogs are not available (pg_stat_activity): use list_tables and describe_table',
    ],
    [
      'information_schema',
      'SELECT * FROM information_schema.tables',
      'System catalogs are not available (information_schema.tables): use list_tables and describe_table',
    ],
    ['an unknown table', 'SELECT * FROM secrets', 'Table secrets does not exist'],
    [
      'a hidden table read by a CTE of its own name',
      'WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets',
      'Table secrets does not exist',
    ],
    [
      'a hidden table named like a CTE but for non-ASCII case, which PostgreSQL does not fold',
      'WITH ÅUDIT AS (SELECT 1 AS id) SELECT * FROM åudit',
      'Table åudit does not exist',
    ],
    [
      'a hidden table read before a CTE of its name is defined',
      'WITH a AS (SELECT * FROM secrets), secrets AS (SELECT 1 AS id) SELECT * FROM a',
      'Table secrets does not exist',
    ],
    [
      'a hidden table in a WITH arm of a UNION, named like a CTE of the other arm',
      '(WITH secrets AS (SELECT 1 AS id) SELECT id FROM secrets) UNION ALL SELECT id FROM secrets',
      'Table secrets does not exist',
    ],
    ['a quoted name that is not the table', 'SELECT * FROM "Orders"', 'Table Orders does not exist'],
    ['another database', 'SELECT * FROM other.public.orders', 'Table other.public.orders does not exist'],
    [
      'a table hidden in a subquery',
      'SELECT * FROM orders WHERE id IN (SELECT id FROM secrets)',
      'Table secrets does not exist',
    ],
    [
      "the fields of a hidden table's row type",
      'SELECT (NULL::audit_trail).*',
      'Type audit_trail is not allowed in dev-mode SQL',
    ],
    [
      "a visible table's row type, whose columns a policy may hide",
      'SELECT (NULL::orders).*',
      'Type orders is not allowed in dev-mode SQL',
    ],
    ['a row type in a cast', 'SELECT NULL::audit_trail', 'Type audit_trail is not allowed in dev-mode SQL'],
    [
      'an unknown type, answered like a hidden one',
      'SELECT NULL::no_such_type',
      'Type no_such_type is not allowed in dev-mode SQL',
    ],
    [
      'a row type inside an allowed function',
      'SELECT to_json(NULL::public.orders)',
      'Type public.orders is not allowed in dev-mode SQL',
    ],
    ['a row-type array', 'SELECT ARRAY[NULL]::audit_trail[]', 'Type audit_trail is not allowed in dev-mode SQL'],
    ['a row type in CAST', 'SELECT CAST(ROW(1) AS sales.targets)', 'Type sales.targets is not allowed in dev-mode SQL'],
    ['a regclass lookup', "SELECT 'audit_trail'::regclass", 'Type regclass is not allowed in dev-mode SQL'],
    [
      'a regtype lookup',
      "SELECT 'audit_trail'::pg_catalog.regtype",
      'Type pg_catalog.regtype is not allowed in dev-mode SQL',
    ],
    ['an oid', 'SELECT 1259::oid', 'Type oid is not allowed in dev-mode SQL'],
    [
      'a type of another schema, even named like a scalar one',
      "SELECT 'x'::public.text",
      'Type public.text is not allowed in dev-mode SQL',
    ],
    [
      'a row type in a SQL/JSON RETURNING clause',
      "SELECT JSON_VALUE('{}', '$' RETURNING audit_trail)",
      'Type audit_trail is not allowed in dev-mode SQL',
    ],
    [
      'a row type in XMLSERIALIZE',
      "SELECT XMLSERIALIZE(DOCUMENT '<a/>' AS audit_trail)",
      'Type audit_trail is not allowed in dev-mode SQL',
    ],
    [
      'row_to_json of a row type',
      'SELECT row_to_json(NULL::audit_trail)',
      'Function row_to_json is not allowed in dev-mode SQL',
    ],
    ['pg_typeof', 'SELECT pg_typeof(id) FROM orders', 'Function pg_typeof is not allowed in dev-mode SQL'],
    ['reading a file', "SELECT pg_read_file('/etc/passwd')", 'Function pg_read_file is not allowed in dev-mode SQL'],
    [
      'changing a setting',
      "SELECT set_config('statement_timeout', '0', false)",
      'Function set_config is not allowed in dev-mode SQL',
    ],
    [
      'another database through dblink',
      "SELECT dblink('host=x', 'select 1')",
      'Function dblink is not allowed in dev-mode SQL',
    ],
    ['sleeping', 'SELECT pg_sleep(10)', 'Function pg_sleep is not allowed in dev-mode SQL'],
    [
      'a qualified function',
      'SELECT pg_catalog.lower(email) FROM customers',
      'Function pg_catalog.lower is not allowed in dev-mode SQL',
    ],
    [
      'a pg_catalog function written out, though SQL syntax calls it',
      "SELECT pg_catalog.extract('year', now())",
      'Function pg_catalog.extract is not allowed in dev-mode SQL',
    ],
    [
      'pg_catalog.btrim written out, though TRIM calls it',
      'SELECT pg_catalog.btrim(email) FROM customers',
      'Function pg_catalog.btrim is not allowed in dev-mode SQL',
    ],
    [
      "SQL syntax for a function off the allowlist (SYSTEM_USER: how the server's connection authenticated)",
      'SELECT SYSTEM_USER',
      'Function pg_catalog.system_user is not allowed in dev-mode SQL',
    ],
    [
      'SQL syntax for a function off the allowlist (COLLATION FOR)',
      'SELECT COLLATION FOR (email) FROM customers',
      'Function pg_catalog.pg_collation_for is not allowed in dev-mode SQL',
    ],
    [
      'SIMILAR TO, whose escape call the parser writes as an explicit one',
      "SELECT email SIMILAR TO 'a%' FROM customers",
      'Function pg_catalog.similar_to_escape is not allowed in dev-mode SQL',
    ],
    [
      'EXTRACT in FROM, a table function',
      'SELECT * FROM EXTRACT(YEAR FROM now())',
      "Table functions are not allowed (pg_catalog.extract): query the connection's tables",
    ],
    [
      'a placeholder',
      'SELECT * FROM orders WHERE id = $1',
      'Placeholders ($1, ?) are not allowed in SQL: write the values into the query',
    ],
  ])('refuses %s, saying what and why', async (_, sql, message) => {
    await expect(guard(sql)).rejects.toMatchObject({ code: 'SQL_REFUSED', message })
  })

  it.each([
    ['scalar subqueries', `SELECT ${nest(1500, '(SELECT ', '1', ')')}`],
    ['subqueries in FROM', `SELECT * FROM ${nest(1200, '(SELECT * FROM ', 'orders', ') AS n')}`],
    ['function calls', `SELECT ${nest(1500, 'abs(', '1', ')')}`],
    ['CASE expressions', `SELECT ${nest(1500, 'CASE WHEN true THEN ', '1', ' END')}`],
    ['ARRAY constructors', `SELECT ${nest(1500, 'ARRAY[', '1', ']')}`],
    ['an operator chain', `SELECT 1 ${'+ 1 '.repeat(3000)}`],
    ['CTEs', nest(1200, 'WITH a AS (', 'SELECT 1', ') SELECT * FROM a')],
    ["subqueries past the parser's own stack", `SELECT ${nest(5000, '(SELECT ', '1', ')')}`],
    ["parentheses past the parser's own stack", `SELECT ${nest(20000, '(', '1', ')')}`],
  ])('refuses %s nested too deeply, before any stack overflows', async (_, sql) => {
    await expect(guard(sql)).rejects.toMatchObject({ code: 'SQL_REFUSED', message: 'The query is nested too deeply' })
  })

  it('passes declared parameters in SQL that Gatehouse compiles', async () => {
    expect(await guard('SELECT * FROM orders WHERE tenant_id = $1', { allowParameters: true })).toEqual([
      { schema: 'public', table: 'orders' },
    ])
  })

  it('reports a syntax error as one', async () => {
    await expect(guard('SELEC 1')).rejects.toMatchObject({
      code: 'SQL_REFUSED',
      message: expect.stringContaining('The query could not be parsed'),
    })
  })
})
