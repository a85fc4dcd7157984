import type { RlsPrincipalName } from './warehouse.js'

/**
 * The RLS corpus (issue 6): queries over `warehouse.ts`, each labelled with
 * what Gatehouse must do for every principal of `RLS_PRINCIPALS`:
 * - `answer`: the rewritten query, on the whole warehouse, returns exactly
 *   (as a multiset, with the same column names) what the query returns on a
 *   database holding only the principal's rows and cells;
 * - `refuse`: Gatehouse refuses it (`SQL_REFUSED`).
 * `except` lists the principals for which the other label applies (a column
 * one of them may see, a table visible to the analyst only).
 *
 * Tags: `probe`, an error-based probe, which fails when run on the whole
 * warehouse (the test checks it does) and so proves that no user expression
 * ran on a hidden row; `missing`, a refusal because the query names something
 * the principal cannot see, where the oracle database (which lacks it) fails
 * too: hidden and nonexistent look alike.
 *
 * SQL is DuckDB's dialect; `engines` restricts an entry to the engines whose
 * dialect it uses, so that the PostgreSQL side can share the file.
 */
export interface RlsCorpusQuery {
  readonly id: string
  readonly sql: string
  readonly expect: 'answer' | 'refuse'
  readonly except?: readonly RlsPrincipalName[]
  /** The principals the entry applies to (all when absent): a probe means nothing to one who sees every row. */
  readonly principals?: readonly RlsPrincipalName[]
  readonly tags?: readonly ('probe' | 'missing')[]
  readonly engines?: readonly ('duckdb' | 'postgres')[]
  readonly note?: string
}

const T1: readonly RlsPrincipalName[] = ['tenant1']
const TENANTS: readonly RlsPrincipalName[] = ['tenant1', 'tenant2']
const ANALYST: readonly RlsPrincipalName[] = ['analyst']
const DUCKDB = ['duckdb'] as const

function nested(depth: number, inner: string): string {
  return `${'(SELECT * FROM '.repeat(depth)}${inner}${') AS n'.repeat(depth)}`
}

export const RLS_CORPUS: readonly RlsCorpusQuery[] = [
  // Ordinary analytics
  { id: 'plain select', sql: 'SELECT id, amount, region FROM orders', expect: 'answer' },
  { id: 'star', sql: 'SELECT * FROM orders', expect: 'answer' },
  { id: 'star over the cell rule', sql: 'SELECT * FROM customers', expect: 'answer' },
  { id: 'count', sql: 'SELECT count(*) FROM orders', expect: 'answer' },
  { id: 'where', sql: "SELECT id FROM orders WHERE amount > 200 AND status <> 'cancelled'", expect: 'answer' },
  {
    id: 'group by',
    sql: 'SELECT region, count(*), sum(amount), min(ordered_at), max(ordered_at) FROM orders GROUP BY region',
    expect: 'answer',
  },
  {
    id: 'having',
    sql: 'SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id HAVING count(*) > 1',
    expect: 'answer',
  },
  { id: 'distinct', sql: 'SELECT DISTINCT status FROM orders', expect: 'answer' },
  { id: 'order and limit', sql: 'SELECT id, amount FROM orders ORDER BY amount DESC, id LIMIT 5', expect: 'answer' },
  { id: 'offset', sql: 'SELECT id FROM orders ORDER BY id LIMIT 5 OFFSET 3', expect: 'answer' },
  { id: 'group by all', sql: 'SELECT status, region, count(*) FROM orders GROUP BY ALL', expect: 'answer' },
  {
    id: 'rollup',
    sql: 'SELECT region, status, sum(quantity) FROM orders GROUP BY ROLLUP (region, status)',
    expect: 'answer',
  },
  {
    id: 'grouping sets',
    sql: 'SELECT region, status, count(*) FROM orders GROUP BY GROUPING SETS ((region), (status), ())',
    expect: 'answer',
  },
  {
    id: 'distinct and filtered aggregates',
    sql: "SELECT count(DISTINCT customer_id), count(*) FILTER (WHERE status = 'paid') FROM orders",
    expect: 'answer',
  },
  {
    id: 'ordered string_agg',
    sql: "SELECT region, string_agg(CAST(id AS VARCHAR), ',' ORDER BY id) FROM orders GROUP BY region",
    expect: 'answer',
  },
  {
    id: 'case expression',
    sql: "SELECT CASE WHEN amount > 250 THEN 'big' ELSE 'small' END AS size, count(*) FROM orders GROUP BY 1",
    expect: 'answer',
  },
  {
    id: 'date_trunc',
    sql: "SELECT date_trunc('month', ordered_at) AS m, sum(amount) FROM orders GROUP BY 1",
    expect: 'answer',
  },
  { id: 'list aggregate', sql: 'SELECT list(id ORDER BY id) FROM orders', expect: 'answer' },
  { id: 'FROM first', sql: 'FROM orders SELECT count(*), sum(quantity)', expect: 'answer' },
  { id: 'bare FROM', sql: 'FROM customers', expect: 'answer' },
  { id: 'no table', sql: 'SELECT 1 + 1 AS two, unnest(range(3)) AS x', expect: 'answer' },
  { id: 'the table as a struct', sql: 'SELECT c FROM customers c', expect: 'answer' },
  { id: 'a row as JSON', sql: 'SELECT to_json(c) FROM customers c', expect: 'answer' },
  { id: 'tablesample of everything', sql: 'SELECT count(*) FROM orders TABLESAMPLE 100%', expect: 'answer' },

  // Joins
  { id: 'join', sql: 'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id', expect: 'answer' },
  {
    id: 'join without aliases',
    sql: 'SELECT orders.id, customers.region FROM orders JOIN customers ON customers.id = orders.customer_id',
    expect: 'answer',
  },
  {
    id: 'left join',
    sql: 'SELECT c.id, count(o.id) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id',
    expect: 'answer',
  },
  {
    id: 'full outer join',
    sql: 'SELECT o.id, c.id FROM orders o FULL OUTER JOIN customers c ON c.id = o.customer_id',
    expect: 'answer',
  },
  {
    id: 'three-way join',
    sql: `SELECT t.name, p.category, sum(o.amount) FROM orders o JOIN products p ON p.id = o.product_id
          JOIN tenants t ON t.id = o.tenant_id GROUP BY ALL`,
    expect: 'answer',
  },
  {
    id: 'join using',
    sql: 'SELECT tenant_id, count(*) FROM orders JOIN customers USING (tenant_id) GROUP BY tenant_id',
    expect: 'answer',
  },
  {
    id: 'join using two columns',
    sql: 'SELECT region, count(*) FROM orders JOIN customers USING (region, tenant_id) GROUP BY region',
    expect: 'answer',
  },
  { id: 'natural join', sql: 'SELECT count(*) FROM orders NATURAL JOIN customers', expect: 'answer' },
  { id: 'natural join, star', sql: 'SELECT * FROM sales.targets NATURAL JOIN customers', expect: 'answer' },
  { id: 'cross join', sql: 'SELECT count(*) FROM tenants CROSS JOIN products', expect: 'answer' },
  {
    id: 'self join',
    sql: 'SELECT a.id, b.id FROM customers a JOIN customers b ON b.referred_by = a.id',
    expect: 'answer',
  },
  {
    id: 'semi join',
    sql: 'SELECT count(*) FROM customers c SEMI JOIN orders o ON o.customer_id = c.id',
    expect: 'answer',
  },
  {
    id: 'anti join',
    sql: 'SELECT count(*) FROM customers c ANTI JOIN orders o ON o.customer_id = c.id',
    expect: 'answer',
  },
  {
    id: 'asof join',
    sql: `SELECT o.id, t.id AS target FROM orders o ASOF JOIN sales.targets t
          ON o.tenant_id = t.tenant_id AND o.id >= t.id`,
    expect: 'answer',
  },
  {
    id: 'join on an expression',
    sql: 'SELECT o.id FROM orders o JOIN products p ON p.id = o.product_id AND p.price > 10',
    expect: 'answer',
  },
  {
    id: 'twelve-way self join',
    sql: `SELECT count(*) FROM orders o1 ${Array.from({ length: 11 }, (_, i) => `JOIN orders o${i + 2} ON o${i + 2}.id = o${i + 1}.id`).join(' ')}`,
    expect: 'answer',
  },

  // Subqueries
  {
    id: 'IN subquery',
    sql: 'SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE amount > 300)',
    expect: 'answer',
  },
  {
    id: 'NOT IN subquery',
    sql: 'SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders WHERE customer_id IS NOT NULL)',
    expect: 'answer',
  },
  {
    id: 'correlated EXISTS',
    sql: "SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = 'paid')",
    expect: 'answer',
  },
  {
    id: 'NOT EXISTS',
    sql: 'SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)',
    expect: 'answer',
  },
  {
    id: 'correlated scalar subquery',
    sql: 'SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c',
    expect: 'answer',
  },
  {
    id: 'scalar subqueries without FROM',
    sql: 'SELECT (SELECT count(*) FROM orders) AS o, (SELECT count(*) FROM customers) AS c',
    expect: 'answer',
  },
  {
    id: 'scalar subquery in WHERE',
    sql: 'SELECT id FROM orders WHERE amount > (SELECT avg(amount) FROM orders)',
    expect: 'answer',
  },
  {
    id: 'correlated scalar subquery in WHERE',
    sql: 'SELECT o.id FROM orders o WHERE o.amount > (SELECT avg(o2.amount) FROM orders o2 WHERE o2.region = o.region)',
    expect: 'answer',
  },
  { id: 'ALL', sql: 'SELECT id FROM orders WHERE amount > ALL (SELECT price FROM products)', expect: 'answer' },
  { id: 'ANY', sql: 'SELECT id FROM products WHERE id = ANY (SELECT product_id FROM orders)', expect: 'answer' },
  {
    id: 'subquery in HAVING',
    sql: 'SELECT region FROM orders GROUP BY region HAVING sum(amount) > (SELECT sum(amount) / 10 FROM orders)',
    expect: 'answer',
  },
  {
    id: 'derived table',
    sql: 'SELECT x.region, x.total FROM (SELECT region, sum(amount) AS total FROM orders GROUP BY region) x',
    expect: 'answer',
  },
  {
    id: 'nested derived tables',
    sql: 'SELECT count(*) FROM (SELECT * FROM (SELECT * FROM orders) a) b',
    expect: 'answer',
  },
  {
    id: 'subquery in ORDER BY',
    sql: `SELECT id FROM customers
          ORDER BY (SELECT count(*) FROM orders o WHERE o.customer_id = customers.id) DESC, id LIMIT 5`,
    expect: 'answer',
  },
  {
    id: 'subquery in a join condition',
    sql: `SELECT count(*) FROM orders o JOIN customers c
          ON c.id = o.customer_id AND c.id IN (SELECT customer_id FROM orders WHERE status = 'new')`,
    expect: 'answer',
  },
  {
    id: 'lateral',
    sql: `SELECT c.id, l.total FROM customers c,
          LATERAL (SELECT sum(o.amount) AS total FROM orders o WHERE o.customer_id = c.id) l`,
    expect: 'answer',
  },
  {
    id: 'JOIN LATERAL',
    sql: `SELECT c.id, l.id FROM customers c JOIN LATERAL
          (SELECT o.id FROM orders o WHERE o.customer_id = c.id ORDER BY o.amount DESC, o.id LIMIT 1) l ON true`,
    expect: 'answer',
  },
  {
    id: 'LEFT JOIN LATERAL',
    sql: `SELECT c.id, l.n FROM customers c LEFT JOIN LATERAL
          (SELECT count(*) AS n FROM orders o WHERE o.customer_id = c.id) l ON true`,
    expect: 'answer',
  },
  {
    id: 'VALUES joined to a table',
    sql: "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) v(id, label) JOIN customers c USING (id)",
    expect: 'answer',
  },

  // Windows
  {
    id: 'row_number',
    sql: 'SELECT id, row_number() OVER (PARTITION BY region ORDER BY amount DESC, id) AS rn FROM orders',
    expect: 'answer',
  },
  {
    id: 'running sum',
    sql: 'SELECT id, sum(amount) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM orders',
    expect: 'answer',
  },
  {
    id: 'lag',
    sql: 'SELECT id, lag(amount) OVER (PARTITION BY customer_id ORDER BY ordered_at, id) FROM orders',
    expect: 'answer',
  },
  {
    id: 'QUALIFY',
    sql: 'SELECT id, region FROM orders QUALIFY row_number() OVER (PARTITION BY region ORDER BY id) <= 2',
    expect: 'answer',
  },
  {
    id: 'named window',
    sql: 'SELECT id, rank() OVER w, count(*) OVER w FROM orders WINDOW w AS (PARTITION BY status ORDER BY amount, id)',
    expect: 'answer',
  },
  {
    id: 'window over a join',
    sql: `SELECT c.region, o.id, sum(o.amount) OVER (PARTITION BY c.region)
          FROM orders o JOIN customers c ON c.id = o.customer_id`,
    expect: 'answer',
  },
  { id: 'count over everything', sql: 'SELECT id, count(*) OVER () FROM customers', expect: 'answer' },

  // CTEs
  {
    id: 'CTE',
    sql: 'WITH big AS (SELECT * FROM orders WHERE amount > 300) SELECT count(*) FROM big',
    expect: 'answer',
  },
  {
    id: 'CTE chain',
    sql: `WITH a AS (SELECT customer_id, sum(amount) AS s FROM orders GROUP BY 1), b AS (SELECT * FROM a WHERE s > 500)
          SELECT count(*) FROM b`,
    expect: 'answer',
  },
  {
    id: 'CTE used twice',
    sql: `WITH c AS (SELECT id, region FROM customers)
          SELECT x.id, y.id FROM c x JOIN c y ON x.region = y.region AND x.id < y.id`,
    expect: 'answer',
  },
  { id: 'CTE named like a table', sql: 'WITH orders AS (SELECT 1 AS id) SELECT * FROM orders', expect: 'answer' },
  {
    id: 'CTE named like a hidden table',
    sql: 'WITH secrets AS (SELECT 42 AS value) SELECT * FROM secrets',
    expect: 'answer',
  },
  {
    id: 'CTE named like the table its body reads',
    sql: 'WITH orders AS (SELECT * FROM orders WHERE amount > 100) SELECT count(*) FROM orders',
    expect: 'answer',
    note: "DuckDB binds the body's `orders` to the table, not to the CTE being defined",
  },
  {
    id: 'CTE named like the hidden table its body reads',
    sql: 'WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets',
    expect: 'refuse',
    tags: ['missing'],
    note: 'the dev-mode guard lets this through (it scopes CTE names over their own bodies); the rewriter refuses',
  },
  {
    id: 'CTE shadowing a system view',
    sql: 'WITH duckdb_settings AS (SELECT * FROM duckdb_settings) SELECT * FROM duckdb_settings',
    expect: 'refuse',
    engines: DUCKDB,
  },
  {
    id: 'CTE shadowing a system view that lists tables',
    sql: 'WITH duckdb_tables AS (SELECT * FROM duckdb_tables) SELECT table_name FROM duckdb_tables',
    expect: 'refuse',
    engines: DUCKDB,
    note: 'the dev-mode guard alone lets this read the system view',
  },
  {
    id: 'CTE shadowing sqlite_master',
    sql: 'WITH sqlite_master AS (SELECT * FROM sqlite_master) SELECT sql FROM sqlite_master',
    expect: 'refuse',
    engines: DUCKDB,
    note: 'the dev-mode guard alone lets this read every table definition',
  },
  {
    id: 'CTE shadowing a file',
    sql: `WITH "/etc/passwd" AS (SELECT * FROM '/etc/passwd') SELECT * FROM "/etc/passwd"`,
    expect: 'refuse',
    engines: DUCKDB,
  },
  {
    id: 'CTE name scoped to a subquery',
    sql: `SELECT (SELECT count(*) FROM (WITH orders AS (SELECT 1 AS x) SELECT * FROM orders)) AS a,
                 (SELECT count(*) FROM orders) AS b`,
    expect: 'answer',
  },
  {
    id: 'CTE reading a later CTE',
    sql: 'WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a',
    expect: 'refuse',
    tags: ['missing'],
  },
  {
    id: 'CTE reading an earlier CTE named like a table',
    sql: 'WITH customers AS (SELECT 7 AS id), x AS (SELECT * FROM customers) SELECT * FROM x',
    expect: 'answer',
  },
  {
    id: 'CTE in a set operation',
    sql: 'WITH o AS (SELECT id FROM orders) SELECT id FROM o UNION SELECT id FROM customers',
    expect: 'answer',
  },
  {
    id: 'nested WITH',
    sql: 'WITH a AS (WITH b AS (SELECT id FROM orders) SELECT * FROM b) SELECT count(*) FROM a',
    expect: 'answer',
  },
  {
    id: 'materialized CTE',
    sql: 'WITH m AS MATERIALIZED (SELECT * FROM orders) SELECT count(*), sum(amount) FROM m',
    expect: 'answer',
  },

  // Recursive CTEs
  {
    id: 'recursive CTE over a table',
    sql: `WITH RECURSIVE chain(id, referred_by, depth) AS (
            SELECT id, referred_by, 0 FROM customers WHERE referred_by IS NULL
            UNION ALL
            SELECT c.id, c.referred_by, depth + 1 FROM customers c JOIN chain ON c.referred_by = chain.id)
          SELECT depth, count(*) FROM chain GROUP BY depth`,
    expect: 'answer',
  },
  {
    id: 'recursive CTE named like a table',
    sql: 'WITH RECURSIVE orders(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM orders WHERE n < 5) SELECT sum(n) FROM orders',
    expect: 'answer',
  },
  {
    id: 'RECURSIVE without a union reads the table',
    sql: 'WITH RECURSIVE orders AS (SELECT count(*) AS n FROM orders) SELECT n FROM orders',
    expect: 'answer',
  },
  {
    id: 'the base arm of a recursive CTE reads the table',
    sql: 'WITH RECURSIVE orders AS (SELECT id FROM orders UNION SELECT 0) SELECT count(*) FROM orders',
    expect: 'answer',
  },
  {
    id: 'the base arm of a recursive CTE reads a hidden table',
    sql: 'WITH RECURSIVE secrets AS (SELECT * FROM secrets UNION SELECT * FROM secrets) SELECT * FROM secrets',
    expect: 'refuse',
    tags: ['missing'],
  },
  {
    id: 'recursive CTE joining a table in its recursive arm',
    sql: `WITH RECURSIVE r(id, depth) AS (
            SELECT id, 0 FROM customers WHERE id <= 6
            UNION ALL
            SELECT c.id, r.depth + 1 FROM r JOIN customers c ON c.referred_by = r.id)
          SELECT depth, count(*) FROM r GROUP BY depth`,
    expect: 'answer',
  },
  {
    id: 'recursive CTE with USING KEY reading its recurring table',
    sql: `WITH RECURSIVE r(id, depth) USING KEY (id) AS (
            SELECT id, 0 FROM customers WHERE referred_by IS NULL
            UNION
            SELECT c.id, r.depth + 1 FROM r JOIN customers c ON c.referred_by = r.id
            WHERE NOT EXISTS (SELECT 1 FROM recurring.r AS seen WHERE seen.id = c.id))
          SELECT depth, count(*) FROM r GROUP BY depth`,
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'recurring. outside the recursive arm is a schema',
    sql: 'SELECT * FROM recurring.orders',
    expect: 'refuse',
    engines: DUCKDB,
    tags: ['missing'],
  },
  {
    id: 'generated series joined to a table',
    sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
          SELECT count(*) FROM n JOIN orders o ON o.id = n.i`,
    expect: 'answer',
  },

  // Set operations
  { id: 'UNION', sql: 'SELECT region FROM orders UNION SELECT region FROM customers', expect: 'answer' },
  { id: 'UNION ALL', sql: 'SELECT id FROM orders UNION ALL SELECT id FROM customers', expect: 'answer' },
  { id: 'INTERSECT', sql: 'SELECT customer_id FROM orders INTERSECT SELECT id FROM customers', expect: 'answer' },
  { id: 'EXCEPT', sql: 'SELECT id FROM customers EXCEPT SELECT customer_id FROM orders', expect: 'answer' },
  {
    id: 'UNION BY NAME',
    sql: 'SELECT id, region FROM orders UNION ALL BY NAME SELECT region, tenant_id FROM customers',
    expect: 'answer',
  },
  {
    id: 'set operation of ordered, limited arms',
    sql: '(SELECT id FROM orders ORDER BY id LIMIT 3) UNION ALL (SELECT id FROM customers ORDER BY id DESC LIMIT 3)',
    expect: 'answer',
  },
  {
    id: 'union of two schemas',
    sql: 'SELECT count(*) FROM (SELECT tenant_id FROM orders UNION ALL SELECT tenant_id FROM sales.orders) u',
    expect: 'answer',
  },

  // Star expansions
  { id: 't.*', sql: 'SELECT c.* FROM customers c', expect: 'answer' },
  {
    id: 'two t.*',
    sql: 'SELECT o.*, c.* FROM orders o JOIN customers c ON c.id = o.customer_id',
    expect: 'answer',
  },
  { id: 'COLUMNS(*)', sql: 'SELECT COLUMNS(*) FROM customers', expect: 'answer' },
  { id: 'COLUMNS by regex', sql: "SELECT COLUMNS('^(name|email)$') FROM customers", expect: 'answer' },
  { id: 'COLUMNS by lambda', sql: "SELECT COLUMNS(c -> c LIKE '%id') FROM customers", expect: 'answer' },
  { id: 'aggregate of COLUMNS(*)', sql: 'SELECT max(COLUMNS(*)) FROM orders', expect: 'answer' },
  {
    id: 'EXCLUDE a hidden column',
    sql: 'SELECT * EXCLUDE (email) FROM customers',
    expect: 'answer',
    except: T1,
    tags: ['missing'],
  },
  { id: 'EXCLUDE', sql: 'SELECT * EXCLUDE (region, referred_by) FROM customers', expect: 'answer' },
  { id: 'REPLACE', sql: 'SELECT * REPLACE (upper(region) AS region) FROM orders', expect: 'answer' },
  { id: 'RENAME', sql: 'SELECT * RENAME (amount AS total) FROM orders', expect: 'answer' },
  { id: 'star LIKE', sql: "SELECT * LIKE '%id' FROM customers", expect: 'answer' },
  {
    id: 'qualified EXCLUDE',
    sql: 'SELECT * EXCLUDE (c.region) FROM customers c JOIN orders o ON o.customer_id = c.id',
    expect: 'answer',
  },
  {
    id: 'schema-qualified EXCLUDE',
    sql: 'SELECT * EXCLUDE (main.customers.region) FROM main.customers',
    expect: 'answer',
  },

  // Qualification, quoting, case, comments
  { id: 'schema-qualified table', sql: 'SELECT count(*) FROM main.orders', expect: 'answer' },
  { id: 'catalog-qualified table', sql: 'SELECT count(*) FROM warehouse.main.orders', expect: 'answer' },
  {
    id: 'schema-qualified columns',
    sql: 'SELECT main.orders.id, main.orders.amount FROM main.orders WHERE main.orders.amount > 100',
    expect: 'answer',
  },
  {
    id: 'catalog-qualified columns',
    sql: 'SELECT warehouse.main.orders.id FROM warehouse.main.orders ORDER BY 1 LIMIT 5',
    expect: 'answer',
  },
  {
    id: 'schema-qualified column in a correlated subquery',
    sql: `SELECT count(*) FROM main.customers
          WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = main.customers.id)`,
    expect: 'answer',
  },
  {
    id: 'two tables of one name, told apart by schema',
    sql: 'SELECT count(*) FROM main.orders, sales.orders WHERE main.orders.id = sales.orders.id',
    expect: 'answer',
  },
  {
    id: 'same-named tables joined with aliases',
    sql: 'SELECT count(*) FROM main.orders m JOIN sales.orders s ON s.id = m.id',
    expect: 'answer',
  },
  { id: 'quoted names', sql: 'SELECT "id", "Amount" FROM "Orders"', expect: 'answer' },
  { id: 'upper-case names', sql: 'SELECT ID, AMOUNT FROM ORDERS', expect: 'answer' },
  { id: 'quoted schema', sql: 'SELECT count(*) FROM "main"."orders"', expect: 'answer' },
  {
    id: 'another schema',
    sql: 'SELECT region, sum(target) FROM sales.targets GROUP BY region',
    expect: 'answer',
  },
  {
    id: 'comments hiding table names',
    sql: 'SELECT /* FROM secrets */ count(*) FROM orders -- JOIN secrets',
    expect: 'answer',
  },
  { id: 'comments between keywords', sql: 'SELECT count(*)/**/FROM/**/orders', expect: 'answer' },
  {
    id: 'SQL inside a string',
    sql: "SELECT 'SELECT * FROM secrets' AS s, count(*) FROM orders",
    expect: 'answer',
  },
  {
    id: 'quoted aliases with spaces',
    sql: 'SELECT "my total" FROM (SELECT sum(amount) AS "my total" FROM orders) "weird alias"',
    expect: 'answer',
  },

  // Hidden tables, schemas and columns
  { id: 'hidden table', sql: 'SELECT * FROM secrets', expect: 'refuse', tags: ['missing'] },
  { id: 'hidden table, schema-qualified', sql: 'SELECT * FROM main.secrets', expect: 'refuse', tags: ['missing'] },
  {
    id: 'hidden table, catalog-qualified',
    sql: 'SELECT * FROM warehouse.main.secrets',
    expect: 'refuse',
    tags: ['missing'],
  },
  { id: 'hidden table, quoted upper case', sql: 'SELECT * FROM "SECRETS"', expect: 'refuse', tags: ['missing'] },
  {
    id: 'hidden table in a subquery',
    sql: 'SELECT count(*) FROM orders WHERE id IN (SELECT id FROM secrets)',
    expect: 'refuse',
    tags: ['missing'],
  },
  {
    id: 'table hidden from tenants in EXISTS',
    sql: 'SELECT count(*) FROM orders WHERE EXISTS (SELECT 1 FROM audit_trail)',
    expect: 'refuse',
    except: ANALYST,
    tags: ['missing'],
  },
  {
    id: 'table hidden from tenants in a scalar subquery',
    sql: 'SELECT (SELECT count(*) FROM audit_trail)',
    expect: 'refuse',
    except: ANALYST,
    tags: ['missing'],
  },
  {
    id: 'hidden table in a lateral join',
    sql: 'SELECT * FROM orders o, LATERAL (SELECT * FROM secrets s WHERE s.id = o.id)',
    expect: 'refuse',
    tags: ['missing'],
  },
  {
    id: 'hidden table in a union',
    sql: 'SELECT id FROM orders UNION SELECT id FROM secrets',
    expect: 'refuse',
    tags: ['missing'],
  },
  { id: 'hidden schema', sql: 'SELECT * FROM hr.salaries', expect: 'refuse', tags: ['missing'] },
  {
    id: 'hidden table deep in nested subqueries',
    sql: `SELECT count(*) FROM ${nested(40, 'secrets')}`,
    expect: 'refuse',
    tags: ['missing'],
  },
  {
    id: 'hidden column',
    sql: 'SELECT email FROM customers',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'hidden column in WHERE',
    sql: "SELECT id FROM customers WHERE email LIKE '%t1%'",
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'hidden column, qualified',
    sql: 'SELECT c.email FROM customers c',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'hidden column in ORDER BY',
    sql: 'SELECT id FROM customers ORDER BY email, id',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'hidden column in USING',
    sql: 'SELECT count(*) FROM customers a JOIN customers b USING (email)',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'hidden column in an aggregate',
    sql: 'SELECT count(email) FROM customers',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'hidden column in a correlated subquery',
    sql: 'SELECT id FROM orders WHERE EXISTS (SELECT 1 FROM customers WHERE email IS NOT NULL)',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'a name hidden in one table and visible in another',
    sql: "SELECT email FROM customers c, (SELECT 'x' AS email) y",
    expect: 'answer',
    except: ['tenant2', 'analyst'],
    note: 'where email is visible in customers the name is ambiguous; where it is hidden, it is not',
  },
  {
    id: 'rowid',
    sql: 'SELECT rowid FROM orders',
    expect: 'refuse',
    engines: DUCKDB,
    note: 'row positions of the whole table would show where hidden rows are',
  },

  // Error-based probes: each fails on tenant 3's rows, which no tenant principal sees
  {
    id: 'probe: cast in WHERE',
    sql: 'SELECT count(*) FROM orders WHERE CAST(note AS INTEGER) > 0',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: logarithm of a negative number',
    sql: 'SELECT count(*) FROM orders WHERE ln(2.5 - tenant_id) < 10',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: square root in WHERE, ordered',
    sql: 'SELECT id FROM orders WHERE sqrt(2.5 - tenant_id) > 0 ORDER BY id',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in an aggregate',
    sql: 'SELECT sum(CAST(note AS INTEGER)) FROM orders',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in the select list',
    sql: 'SELECT id, CAST(note AS INTEGER) AS n FROM orders',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a join condition',
    sql: 'SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id AND CAST(o.note AS INTEGER) > 0',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in EXISTS',
    sql: `SELECT count(*) FROM customers c
          WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND CAST(o.note AS INTEGER) > 0)`,
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast behind CASE',
    sql: 'SELECT count(*) FROM orders WHERE CASE WHEN tenant_id = 3 THEN CAST(note AS INTEGER) ELSE 1 END = 1',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in GROUP BY',
    sql: 'SELECT CAST(note AS INTEGER) % 2 AS parity, count(*) FROM orders GROUP BY 1',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a window',
    sql: 'SELECT id, max(CAST(note AS INTEGER)) OVER () FROM orders',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in an IN list',
    sql: 'SELECT count(*) FROM orders WHERE CAST(note AS INTEGER) IN (3, 6, 9)',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a derived table',
    sql: 'SELECT count(*) FROM (SELECT CAST(note AS INTEGER) AS n FROM orders) x WHERE n > 0',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in ORDER BY',
    sql: 'SELECT id FROM orders ORDER BY CAST(note AS INTEGER), id LIMIT 3',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a lateral subquery',
    sql: `SELECT count(*) FROM customers c,
          LATERAL (SELECT * FROM orders o WHERE o.customer_id = c.id AND CAST(o.note AS INTEGER) > 0) l`,
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in HAVING',
    sql: 'SELECT region FROM orders GROUP BY region HAVING min(CAST(note AS INTEGER)) > 0',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast over a union',
    sql: 'SELECT count(*) FROM (SELECT note FROM orders UNION ALL SELECT note FROM orders) WHERE CAST(note AS INTEGER) > 0',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a scalar subquery',
    sql: 'SELECT (SELECT max(CAST(note AS INTEGER)) FROM orders)',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a semi join',
    sql: 'SELECT count(*) FROM customers c SEMI JOIN orders o ON o.customer_id = c.id AND CAST(o.note AS INTEGER) > 0',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast and a cheap filter',
    sql: "SELECT count(*) FROM orders WHERE CAST(note AS INTEGER) > 0 AND status <> 'x'",
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'probe: cast in a CTE',
    sql: 'WITH n AS (SELECT CAST(note AS INTEGER) AS n FROM orders) SELECT sum(n) FROM n',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
  },
  {
    id: 'division by zero (not an error in DuckDB)',
    sql: 'SELECT count(*) FROM orders WHERE 1 / (tenant_id - 3) < 0 OR 1 // (tenant_id - 3) IS NULL',
    expect: 'answer',
  },
  {
    id: 'IS TRUE, which DuckDB writes in another form',
    sql: 'SELECT count(*) FROM orders WHERE (amount > 100) IS TRUE',
    expect: 'answer',
  },
  {
    id: 'numbers a double would round',
    sql: 'SELECT count(*), 9007199254740993 AS big, 0.1 + 0.2 AS d, 12345678901234567890123 AS huge FROM orders WHERE id < 9007199254740993',
    expect: 'answer',
  },
  { id: 'TRY_CAST', sql: 'SELECT count(*) FROM orders WHERE TRY_CAST(note AS INTEGER) IS NULL', expect: 'answer' },

  // List, struct and other syntax DuckDB's parser writes as main.<function> calls ([…] is main.list_value)
  {
    id: 'list and struct literals',
    sql: "SELECT id, [id, quantity] AS pair, {'id': id, 'region': region} AS s, [] AS none FROM orders",
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'unnamed list and struct literals keep their column names',
    sql: "SELECT [id, quantity], {'r': region}, (id, status) FROM orders",
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'list_value and struct_pack written out',
    sql: 'SELECT list_value(id, quantity) AS l, struct_pack(r := region) AS s FROM orders',
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'IN a list literal, ANY and a subscript',
    sql: `SELECT id FROM orders
           WHERE region IN ['EMEA', 'APAC'] AND 'paid' NOT IN [status] AND quantity = ANY([1, 2, 3])
             AND [region, status][2] <> 'new'`,
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'unnest of a list literal in the select list',
    sql: 'SELECT id, unnest([quantity, id]) AS v FROM orders',
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'a list comprehension, a map and a nested literal',
    sql: `SELECT [x * 2 FOR x IN [quantity, 1] IF x > 1] AS doubled, MAP {'q': quantity} AS m,
                 {'ids': [id, customer_id], 'at': {'d': ordered_at}} AS nested
            FROM orders`,
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'EXTRACT grouped',
    sql: 'SELECT extract(year FROM ordered_at) AS y, extract(month FROM ordered_at) AS m, count(*) FROM orders GROUP BY ALL',
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'a hidden column inside a list literal',
    sql: 'SELECT [name, email] FROM customers',
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
    engines: DUCKDB,
  },
  {
    id: 'probe: cast inside a list literal in WHERE',
    sql: 'SELECT count(*) FROM orders WHERE [CAST(note AS INTEGER), 1][2] = 1',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
    engines: DUCKDB,
  },
  {
    id: 'probe: cast IN a list literal',
    sql: 'SELECT count(*) FROM orders WHERE CAST(note AS INTEGER) IN [3, 6, 9]',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
    engines: DUCKDB,
  },
  {
    id: 'probe: cast inside a struct literal',
    sql: "SELECT count(*) FROM orders WHERE {'n': CAST(note AS INTEGER)}.n > 0",
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
    engines: DUCKDB,
  },
  {
    id: 'probe: logarithm of an EXTRACT, negative on tenant 3 only',
    sql: 'SELECT count(*) FROM orders WHERE ln(extract(year FROM ordered_at) - 2022.5 - tenant_id) < 10',
    expect: 'answer',
    tags: ['probe'],
    principals: TENANTS,
    engines: DUCKDB,
  },
  { id: 'unnest of a list literal in FROM', sql: 'SELECT * FROM unnest([1, 2])', expect: 'refuse', engines: DUCKDB },
  {
    id: 'unnest of a row’s values in FROM',
    sql: 'SELECT * FROM orders, unnest([id, quantity]) AS u(v)',
    expect: 'refuse',
    engines: DUCKDB,
  },
  { id: 'range in FROM', sql: 'SELECT * FROM range(3)', expect: 'refuse', engines: DUCKDB },
  {
    id: 'a file reader given a list literal',
    sql: "SELECT * FROM read_csv(['/etc/passwd'])",
    expect: 'refuse',
    engines: DUCKDB,
  },
  {
    id: 'list_value under a catalog',
    sql: 'SELECT system.main.list_value(id) FROM orders',
    expect: 'refuse',
    engines: DUCKDB,
  },

  // What the guard refuses before any rewriting
  { id: 'table function', sql: "SELECT * FROM read_csv('/etc/passwd')", expect: 'refuse', engines: DUCKDB },
  { id: 'replacement scan of a file', sql: "SELECT * FROM '/etc/passwd'", expect: 'refuse', engines: DUCKDB },
  { id: 'system table function', sql: 'SELECT * FROM duckdb_tables()', expect: 'refuse', engines: DUCKDB },
  { id: 'system view', sql: 'SELECT * FROM duckdb_tables', expect: 'refuse', engines: DUCKDB },
  { id: 'information_schema', sql: 'SELECT * FROM information_schema.tables', expect: 'refuse' },
  { id: 'another database', sql: 'SELECT * FROM memory.main.orders', expect: 'refuse', engines: DUCKDB },
  { id: 'two statements', sql: 'SELECT 1; SELECT * FROM secrets', expect: 'refuse' },
  { id: 'a placeholder', sql: 'SELECT * FROM orders WHERE id = $1', expect: 'refuse' },
  { id: 'a settings function', sql: "SELECT current_setting('threads')", expect: 'refuse' },
  { id: 'COPY', sql: "COPY orders TO '/tmp/orders.csv'", expect: 'refuse', engines: DUCKDB },
  { id: 'ATTACH', sql: "ATTACH '/tmp/other.duckdb'", expect: 'refuse', engines: DUCKDB },
  { id: 'DESCRIBE', sql: 'DESCRIBE orders', expect: 'refuse', engines: DUCKDB },
  { id: 'SUMMARIZE', sql: 'SUMMARIZE orders', expect: 'refuse', engines: DUCKDB },

  // PIVOT and UNPIVOT
  {
    id: 'PIVOT with its values listed',
    sql: "SELECT * FROM orders PIVOT (sum(amount) FOR status IN ('new', 'paid') GROUP BY region)",
    expect: 'answer',
    engines: DUCKDB,
  },
  {
    id: 'UNPIVOT',
    sql: `SELECT * FROM (SELECT id, CAST(amount AS VARCHAR) AS amount, status FROM orders)
          UNPIVOT (v FOR k IN (amount, status))`,
    expect: 'answer',
    engines: DUCKDB,
  },

  {
    id: 'PIVOT without its values',
    sql: 'PIVOT orders ON status USING sum(amount) GROUP BY region',
    expect: 'refuse',
    note: 'DuckDB runs it as two statements (the first reads the values)',
    engines: DUCKDB,
  },
  { id: 'column aliases on a table', sql: 'SELECT a, b FROM tenants AS t(a, b)', expect: 'answer' },
  { id: 'one table twice without aliases', sql: 'SELECT count(*) FROM tenants, tenants', expect: 'answer' },
  {
    id: 'qualified column grouped by an expression',
    sql: "SELECT main.orders.region || '!' FROM main.orders GROUP BY main.orders.region || '!'",
    expect: 'answer',
  },
  {
    id: 'DISTINCT ON',
    sql: 'SELECT DISTINCT ON (region) region, id FROM orders ORDER BY region, id',
    expect: 'answer',
  },
  { id: 'ORDER BY ALL', sql: 'SELECT region, status FROM orders ORDER BY ALL', expect: 'answer' },
  {
    id: 'COLUMNS matching only a hidden column',
    sql: "SELECT COLUMNS('^email$') FROM customers",
    expect: 'refuse',
    except: ['tenant2', 'analyst'],
    tags: ['missing'],
  },
  {
    id: 'qualified EXCLUDE of a hidden column',
    sql: 'SELECT c.* EXCLUDE (email) FROM customers c',
    expect: 'answer',
    except: T1,
    tags: ['missing'],
  },
  {
    id: 'a schema-qualified name whose table an alias shadows',
    sql: 'SELECT main.orders.id FROM main.orders, customers AS orders',
    expect: 'refuse',
    note: 'once main.orders is a subquery named orders, main.orders.id could only become the ambiguous orders.id',
  },
  {
    id: 'a schema-qualified outer name shadowed by an inner alias',
    sql: `SELECT (SELECT count(*) FROM customers AS orders WHERE orders.id = main.orders.customer_id)
          FROM main.orders`,
    expect: 'refuse',
    note: 'rewritten as orders.customer_id, the name would bind to the inner alias: refused rather than changed',
  },

  // Very long and deeply nested input
  { id: 'forty nested subqueries', sql: `SELECT count(*) FROM ${nested(40, 'orders')}`, expect: 'answer' },
  {
    id: 'a 300-term OR',
    sql: `SELECT count(*) FROM orders WHERE ${Array.from({ length: 300 }, (_, i) => `id = ${i}`).join(' OR ')}`,
    expect: 'answer',
  },
  {
    id: 'a 60-arm UNION ALL',
    sql: Array.from({ length: 60 }, (_, i) => `SELECT id FROM orders WHERE id = ${i * 2}`).join(' UNION ALL '),
    expect: 'answer',
  },
  {
    id: 'an expression nested 200 deep',
    sql: `SELECT ${'('.repeat(200)}amount${')'.repeat(200)} AS a FROM orders`,
    expect: 'answer',
  },
]
