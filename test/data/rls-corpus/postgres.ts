import type { RlsProfile } from './postgres-world.js'

/**
 * The PostgreSQL RLS corpus (issue 6): dev-mode SQL over the warehouse of
 * `postgres-world.ts`, each query labelled with what Gatehouse must do with
 * it. `answer`: the rewritten query returns, as a multiset and with the same
 * columns, what PostgreSQL's own row-level security returns for the same
 * principal. `refuse`: Gatehouse does not answer; when the refusal is
 * PostgreSQL's error on the rewritten query, the oracle gives the same error
 * (a hidden name is a missing name). A label may differ by principal.
 *
 * `__DB__` stands for the database's name on each side.
 */
export type RlsOutcome = 'answer' | 'refuse'

export interface RlsCase {
  readonly label: string
  readonly sql: string
  readonly expect: RlsOutcome | Readonly<Record<RlsProfile, RlsOutcome>>
}

/** customers.email exists for these principals only. */
const emailVisible = { tenant: 'refuse', tenant_email: 'answer', two_policies: 'answer' } as const
/** audit_log exists for this principal only. */
const auditVisible = { tenant: 'refuse', tenant_email: 'answer', two_policies: 'refuse' } as const

const manyIds = Array.from({ length: 3000 }, (_, i) => i + 1).join(', ')
const nestedFrom = (depth: number): string =>
  depth === 0 ? 'orders' : `(SELECT * FROM ${nestedFrom(depth - 1)} WHERE amount >= ${depth}) AS t${depth}`
const nestedExists = (depth: number): string =>
  depth === 0
    ? 'SELECT 1 FROM customers c0 WHERE c0.id = o.customer_id'
    : `SELECT 1 FROM orders o${depth} WHERE o${depth}.id = o.id AND EXISTS (${nestedExists(depth - 1)})`
const parens = (depth: number): string => `${'('.repeat(depth)}amount${')'.repeat(depth)}`
const longUnion = Array.from(
  { length: 60 },
  (_, i) => `SELECT ${i} AS k, count(*) AS n FROM orders WHERE quantity > ${i % 5}`,
)

export const POSTGRES_RLS_CORPUS: readonly RlsCase[] = [
  // ordinary analytics
  { label: 'every column of a table', sql: 'SELECT * FROM orders', expect: 'answer' },
  { label: 'a count', sql: 'SELECT count(*) FROM orders', expect: 'answer' },
  {
    label: 'chosen columns and a filter',
    sql: "SELECT id, amount FROM orders WHERE status = 'shipped'",
    expect: 'answer',
  },
  { label: 'TABLE syntax', sql: 'TABLE orders', expect: 'answer' },
  { label: 'SELECT * leaves a hidden column out', sql: 'SELECT * FROM customers', expect: 'answer' },
  { label: 't.* leaves a hidden column out', sql: 'SELECT c.*, 1 AS one FROM customers c', expect: 'answer' },
  { label: 'the tenants table filtered on its own id', sql: 'SELECT * FROM tenants', expect: 'answer' },
  { label: 'a shared reference table', sql: 'SELECT * FROM currencies', expect: 'answer' },
  { label: 'a table in another schema', sql: 'SELECT * FROM sales.targets', expect: 'answer' },
  { label: 'ONLY', sql: 'SELECT count(*) FROM ONLY orders', expect: 'answer' },
  { label: 'a whole-row value', sql: 'SELECT c FROM customers c', expect: 'answer' },
  { label: 'rows as JSON', sql: 'SELECT to_json(c) FROM customers c', expect: 'answer' },
  { label: 'column aliases on a table', sql: 'SELECT * FROM customers AS c(a, b, cname)', expect: 'answer' },
  {
    label: 'filtering on another tenant finds nothing',
    sql: 'SELECT * FROM orders WHERE tenant_id = 2',
    expect: 'answer',
  },
  { label: 'the tenants a query can see', sql: 'SELECT DISTINCT tenant_id FROM orders', expect: 'answer' },
  { label: 'no table at all', sql: "SELECT 1 AS one, 'x' AS x", expect: 'answer' },

  { label: 'a whole-row test', sql: 'SELECT count(*) FROM customers c WHERE c IS NOT NULL', expect: 'answer' },
  { label: 'a field of a whole row', sql: 'SELECT (c).name FROM customers c', expect: 'answer' },
  { label: 'a hidden field of a whole row', sql: 'SELECT (c).email FROM customers c', expect: emailVisible },
  { label: 'functional notation for a column', sql: 'SELECT name(c) FROM customers c', expect: 'refuse' },
  { label: 'rows aggregated as JSON', sql: 'SELECT json_agg(c ORDER BY c.id) FROM customers c', expect: 'answer' },
  { label: 'LIMIT and OFFSET', sql: 'SELECT id FROM orders ORDER BY id LIMIT 5 OFFSET 2', expect: 'answer' },
  { label: 'a quoted mixed-case alias', sql: 'SELECT "O".id FROM orders "O"', expect: 'answer' },
  {
    label: 'a list of another tenant’s ids',
    sql: 'SELECT id, name FROM customers WHERE id IN (201, 202, 203, 204, 205)',
    expect: 'answer',
  },
  {
    label: 'other tenants’ products (their price only where the first policy admits them)',
    sql: 'SELECT name, category, price FROM products WHERE tenant_id <> 1',
    expect: 'answer',
  },

  // joins
  {
    label: 'an inner join (orders of another tenant’s customer drop out)',
    sql: 'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id',
    expect: 'answer',
  },
  {
    label: 'a left join',
    sql: 'SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON c.id = o.customer_id',
    expect: 'answer',
  },
  {
    label: 'a right join with an aggregate',
    sql: 'SELECT c.id, count(o.id) FROM orders o RIGHT JOIN customers c ON c.id = o.customer_id GROUP BY c.id',
    expect: 'answer',
  },
  {
    label: 'a full join',
    sql: 'SELECT o.id, c.id FROM orders o FULL JOIN customers c ON c.id = o.customer_id',
    expect: 'answer',
  },
  { label: 'a cross join', sql: 'SELECT count(*) FROM orders CROSS JOIN currencies', expect: 'answer' },
  {
    label: 'USING',
    sql: 'SELECT tenant_id, count(*) FROM orders JOIN customers USING (tenant_id) GROUP BY tenant_id',
    expect: 'answer',
  },
  {
    label: 'NATURAL JOIN leaves hidden columns out of the match',
    sql: 'SELECT * FROM customers NATURAL JOIN subscribers',
    expect: 'answer',
  },
  {
    label: 'USING a hidden column',
    sql: 'SELECT * FROM customers JOIN subscribers USING (email)',
    expect: emailVisible,
  },
  {
    label: 'a self-join',
    sql: 'SELECT a.id, b.id FROM orders a JOIN orders b ON a.customer_id = b.customer_id AND a.id < b.id',
    expect: 'answer',
  },
  {
    label: 'three tables and an aggregate',
    sql: `SELECT c.country, p.category, sum(o.amount) AS revenue, count(*) AS n
            FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
           GROUP BY c.country, p.category`,
    expect: 'answer',
  },
  {
    label: 'tables of two schemas',
    sql: 'SELECT p.id, s.region FROM public.orders p JOIN sales.orders s ON s.id = p.id',
    expect: 'answer',
  },
  {
    label: 'a values list joined to a table',
    sql: 'SELECT v.x, count(o.id) FROM (VALUES (1), (2), (3)) v(x) LEFT JOIN orders o ON o.tenant_id = v.x GROUP BY v.x',
    expect: 'answer',
  },
  {
    label: 'two tables of the same name in two schemas, unaliased',
    sql: 'SELECT count(*) FROM public.orders, sales.orders',
    expect: 'refuse',
  },

  {
    label: 'an anti-join through LEFT JOIN … IS NULL',
    sql: 'SELECT c.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL',
    expect: 'answer',
  },
  {
    label: 'a table naturally joined to itself',
    sql: 'SELECT count(*) FROM customers NATURAL JOIN customers c2',
    expect: 'answer',
  },
  {
    label: 'a hidden table in a lateral join',
    sql: 'SELECT count(*) FROM tenants t, LATERAL (SELECT * FROM audit_log a WHERE a.tenant_id = t.id) x',
    expect: auditVisible,
  },

  // aggregates
  {
    label: 'group by with several aggregates',
    sql: 'SELECT status, count(*), sum(amount), avg(quantity), min(ordered_at), max(ordered_at) FROM orders GROUP BY status',
    expect: 'answer',
  },
  {
    label: 'HAVING with a subquery',
    sql: 'SELECT customer_id, sum(amount) FROM orders GROUP BY customer_id HAVING sum(amount) > (SELECT avg(amount) FROM orders)',
    expect: 'answer',
  },
  {
    label: 'ROLLUP',
    sql: "SELECT status, date_trunc('month', ordered_at) AS m, sum(amount) FROM orders GROUP BY ROLLUP (status, m)",
    expect: 'answer',
  },
  {
    label: 'CUBE',
    sql: 'SELECT status, quantity, count(*) FROM orders GROUP BY CUBE (status, quantity)',
    expect: 'answer',
  },
  { label: 'DISTINCT', sql: 'SELECT DISTINCT country FROM customers', expect: 'answer' },
  {
    label: 'DISTINCT ON',
    sql: 'SELECT DISTINCT ON (customer_id) customer_id, id, amount FROM orders ORDER BY customer_id, amount DESC, id',
    expect: 'answer',
  },
  {
    label: 'FILTER and count(DISTINCT)',
    sql: "SELECT count(*) FILTER (WHERE status = 'returned'), count(DISTINCT customer_id) FROM orders",
    expect: 'answer',
  },
  {
    label: 'an ordered string_agg',
    sql: "SELECT string_agg(name, ',' ORDER BY name) FROM customers",
    expect: 'answer',
  },
  {
    label: 'percentile_cont',
    sql: 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders',
    expect: 'answer',
  },
  { label: 'HAVING without GROUP BY', sql: 'SELECT 1 AS one FROM orders HAVING count(*) > 0', expect: 'answer' },
  { label: 'an aggregate over a hidden column', sql: 'SELECT count(email) FROM customers', expect: emailVisible },
  {
    label: 'the price of books and tools (NULL where only the second policy admits the row)',
    sql: 'SELECT category, count(*), count(price), sum(price) FROM products GROUP BY category',
    expect: 'answer',
  },

  // windows
  {
    label: 'rank over a partition',
    sql: 'SELECT id, amount, rank() OVER (PARTITION BY customer_id ORDER BY amount DESC) FROM orders',
    expect: 'answer',
  },
  {
    label: 'a named window with a frame',
    sql: 'SELECT id, sum(amount) OVER w FROM orders WINDOW w AS (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)',
    expect: 'answer',
  },
  {
    label: 'a window over a join',
    sql: `SELECT c.name, o.amount, sum(o.amount) OVER (PARTITION BY c.country) AS by_country
            FROM orders o JOIN customers c ON c.id = o.customer_id`,
    expect: 'answer',
  },
  {
    label: 'top three by row_number',
    sql: 'SELECT * FROM (SELECT id, row_number() OVER (ORDER BY amount DESC, id) AS rn FROM orders) x WHERE rn <= 3',
    expect: 'answer',
  },
  {
    label: 'lag and lead',
    sql: 'SELECT id, lag(amount) OVER (ORDER BY id), lead(id) OVER (ORDER BY id) FROM orders',
    expect: 'answer',
  },
  {
    label: 'a subquery inside a window',
    sql: 'SELECT id, count(*) OVER (PARTITION BY (SELECT count(*) FROM customers)) FROM orders',
    expect: 'answer',
  },

  // CTEs
  {
    label: 'a CTE joined to a table',
    sql: `WITH t AS (SELECT customer_id, sum(amount) AS s FROM orders GROUP BY 1)
          SELECT c.name, t.s FROM t JOIN customers c ON c.id = t.customer_id`,
    expect: 'answer',
  },
  {
    label: 'a CTE named like the table it reads (its body reads the table)',
    sql: 'WITH orders AS (SELECT * FROM orders WHERE amount > 100) SELECT count(*) FROM orders',
    expect: 'answer',
  },
  {
    label: 'a CTE named like another table',
    sql: 'WITH customers AS (SELECT * FROM orders) SELECT count(*), sum(amount) FROM customers',
    expect: 'answer',
  },
  {
    label: 'a CTE named like a hidden table',
    sql: 'WITH audit_log AS (SELECT id, tenant_id FROM orders) SELECT * FROM audit_log',
    expect: 'answer',
  },
  {
    label: 'a CTE named like a hidden table that reads it',
    sql: 'WITH audit_log AS (SELECT * FROM audit_log) SELECT * FROM audit_log',
    expect: auditVisible,
  },
  {
    label: 'a later CTE’s name is still a table inside an earlier one',
    sql: 'WITH a AS (SELECT count(*) AS n FROM orders), orders AS (SELECT 1 AS id) SELECT * FROM a, orders',
    expect: 'answer',
  },
  {
    label: 'an inner CTE reading an outer CTE of its own name',
    sql: `WITH orders AS (SELECT 7 AS id)
          SELECT (WITH orders AS (SELECT id + 1 AS id FROM orders) SELECT max(id) FROM orders) AS x,
                 (SELECT count(*) FROM public.orders) AS n`,
    expect: 'answer',
  },
  {
    label: 'a recursive CTE over a table',
    sql: `WITH RECURSIVE chain(id, n) AS (
            SELECT min(id), 1 FROM orders
            UNION ALL
            SELECT (SELECT min(o.id) FROM orders o WHERE o.id > chain.id), n + 1 FROM chain WHERE n < 5)
          SELECT * FROM chain`,
    expect: 'answer',
  },
  {
    label: 'a recursive CTE named like a table',
    sql: 'WITH RECURSIVE orders(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM orders WHERE n < 5) SELECT * FROM orders',
    expect: 'answer',
  },
  {
    label: 'WITH RECURSIVE: an earlier CTE reads a later one',
    sql: 'WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT id FROM orders) SELECT count(*) FROM a',
    expect: 'answer',
  },
  {
    label: 'a materialized CTE with a probe outside it',
    sql: 'WITH t AS MATERIALIZED (SELECT * FROM orders) SELECT count(*) FROM t WHERE 1 / (tenant_id - 2) = -1',
    expect: 'answer',
  },
  {
    label: 'a recursive CTE walking customers to their orders',
    sql: `WITH RECURSIVE walk(kind, id, depth) AS (
            SELECT 'customer', id, 0 FROM customers WHERE country = 'FR'
            UNION ALL
            SELECT 'order', o.id, w.depth + 1 FROM walk w JOIN orders o ON o.customer_id = w.id WHERE w.depth < 1)
          SELECT kind, count(*) FROM walk GROUP BY kind`,
    expect: 'answer',
  },

  {
    label: 'a CTE read twice',
    sql: 'WITH t AS (SELECT * FROM orders) SELECT count(*) FROM t a JOIN t b ON a.customer_id = b.customer_id',
    expect: 'answer',
  },
  {
    label: 'a recursive CTE inside a scalar subquery',
    sql: `SELECT (WITH RECURSIVE r(n) AS (SELECT count(*) FROM orders UNION ALL SELECT n - 1 FROM r WHERE n > 25)
                  SELECT min(n) FROM r) AS m`,
    expect: 'answer',
  },
  {
    label: 'GROUP BY an expression, ORDER BY an alias',
    sql: "SELECT date_trunc('month', ordered_at) AS m, sum(amount) AS s FROM orders GROUP BY 1 ORDER BY s DESC",
    expect: 'answer',
  },

  // set operations
  { label: 'UNION', sql: 'SELECT id FROM orders UNION SELECT id FROM customers', expect: 'answer' },
  { label: 'INTERSECT', sql: 'SELECT customer_id FROM orders INTERSECT SELECT id FROM customers', expect: 'answer' },
  { label: 'EXCEPT', sql: 'SELECT id FROM customers EXCEPT SELECT customer_id FROM orders', expect: 'answer' },
  {
    label: 'UNION ALL of ordered, limited arms',
    sql: '(SELECT name FROM customers ORDER BY name LIMIT 3) UNION ALL (SELECT name FROM products ORDER BY name LIMIT 3)',
    expect: 'answer',
  },
  {
    label: 'a set operation under a WITH',
    sql: 'WITH t AS (SELECT id FROM products) SELECT id FROM t UNION SELECT id FROM customers ORDER BY 1',
    expect: 'answer',
  },
  {
    label: 'a set operation with a hidden table',
    sql: 'SELECT tenant_id FROM audit_log UNION SELECT tenant_id FROM orders',
    expect: auditVisible,
  },

  // lateral
  {
    label: 'LATERAL with an aggregate',
    sql: 'SELECT c.name, x.total FROM customers c, LATERAL (SELECT sum(amount) AS total FROM orders o WHERE o.customer_id = c.id) x',
    expect: 'answer',
  },
  {
    label: 'LEFT JOIN LATERAL, top one per customer',
    sql: `SELECT c.id, l.id FROM customers c
          LEFT JOIN LATERAL (SELECT id FROM orders o WHERE o.customer_id = c.id ORDER BY amount DESC, id LIMIT 1) l ON true`,
    expect: 'answer',
  },
  {
    label: 'LATERAL reading a table by the outer row',
    sql: 'SELECT count(*) FROM orders, LATERAL (SELECT * FROM customers WHERE customers.id = orders.customer_id) c',
    expect: 'answer',
  },

  // subqueries
  {
    label: 'a correlated scalar subquery',
    sql: 'SELECT id, (SELECT name FROM customers c WHERE c.id = o.customer_id) FROM orders o',
    expect: 'answer',
  },
  {
    label: 'EXISTS',
    sql: 'SELECT count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)',
    expect: 'answer',
  },
  {
    label: 'NOT EXISTS',
    sql: 'SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)',
    expect: 'answer',
  },
  {
    label: 'IN (subquery)',
    sql: "SELECT count(*) FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE country = 'FR')",
    expect: 'answer',
  },
  {
    label: 'NOT IN (subquery)',
    sql: 'SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)',
    expect: 'answer',
  },
  {
    label: 'a scalar subquery over another tenant’s rows',
    sql: 'SELECT count(*) FROM orders WHERE amount > (SELECT max(amount) FROM orders WHERE tenant_id = 2)',
    expect: 'answer',
  },
  {
    label: '> ALL',
    sql: 'SELECT count(*) FROM orders WHERE amount > ALL (SELECT price FROM products)',
    expect: 'answer',
  },
  {
    label: '= ANY',
    sql: 'SELECT count(*) FROM orders WHERE product_id = ANY (SELECT id FROM products)',
    expect: 'answer',
  },
  { label: 'an ARRAY subquery', sql: 'SELECT ARRAY(SELECT id FROM customers ORDER BY id)', expect: 'answer' },
  {
    label: 'a subquery in FROM',
    sql: 'SELECT avg(s) FROM (SELECT customer_id, sum(amount) AS s FROM orders GROUP BY 1) t',
    expect: 'answer',
  },
  {
    label: 'a subquery in ORDER BY',
    sql: 'SELECT id FROM customers ORDER BY (SELECT count(*) FROM orders o WHERE o.customer_id = customers.id), id',
    expect: 'answer',
  },
  {
    label: 'a scalar subquery on a hidden table',
    sql: 'SELECT (SELECT count(*) FROM audit_log) AS n',
    expect: auditVisible,
  },
  {
    label: 'a hidden column in a subquery',
    sql: 'SELECT (SELECT max(email) FROM customers) AS e',
    expect: emailVisible,
  },
  {
    label: 'cross-tenant customers through IN',
    sql: 'SELECT * FROM orders o WHERE o.customer_id IN (SELECT id FROM customers WHERE tenant_id = 2)',
    expect: 'answer',
  },

  // hidden columns named anywhere
  { label: 'a hidden column in the select list', sql: 'SELECT email FROM customers', expect: emailVisible },
  { label: 'a qualified hidden column', sql: 'SELECT c.email FROM customers c', expect: emailVisible },
  { label: 'a hidden column in WHERE', sql: 'SELECT * FROM customers WHERE email IS NULL', expect: emailVisible },
  { label: 'a hidden column in ORDER BY', sql: 'SELECT name FROM customers ORDER BY email', expect: emailVisible },
  {
    label: 'a schema-qualified hidden column',
    sql: 'SELECT public.customers.email FROM customers',
    expect: emailVisible,
  },
  { label: 'a column that exists nowhere', sql: 'SELECT "EMAIL" FROM customers', expect: 'refuse' },
  {
    label: 'a hidden cell under an error probe',
    sql: 'SELECT count(*) FROM customers WHERE length(email) / (tenant_id - 2) >= -100',
    expect: emailVisible,
  },

  // hidden and missing tables
  { label: 'a hidden table', sql: 'SELECT * FROM audit_log', expect: auditVisible },
  { label: 'a schema-qualified hidden table', sql: 'SELECT count(*) FROM public.audit_log', expect: auditVisible },
  { label: 'a table that does not exist', sql: 'SELECT * FROM secrets', expect: 'refuse' },
  { label: 'a table of another database', sql: 'SELECT count(*) FROM otherdb.public.orders', expect: 'refuse' },
  { label: 'the oracle’s private schema', sql: 'SELECT count(*) FROM base_public.orders', expect: 'refuse' },

  // error-based probes: tenant 2's rows would raise, and no principal here is tenant 2 (French customers
  // of every tenant are visible to two_policies, so probes on customers spare them)
  { label: 'a probe in WHERE', sql: 'SELECT count(*) FROM orders WHERE 1 / (tenant_id - 2) = -1', expect: 'answer' },
  {
    label: 'a probe in a join condition',
    sql: `SELECT count(*) FROM orders o
            JOIN customers c ON 1 / CASE WHEN c.country = 'FR' THEN 1 ELSE c.tenant_id - 2 END <> 0 AND c.id = o.customer_id`,
    expect: 'answer',
  },
  {
    label: 'a probe in a scalar subquery',
    sql: "SELECT (SELECT count(*) FROM customers WHERE 1 / CASE WHEN country = 'FR' THEN 1 ELSE tenant_id - 2 END <> 0) AS n",
    expect: 'answer',
  },
  {
    label: 'a probe in EXISTS',
    sql: 'SELECT count(*) FROM tenants t WHERE EXISTS (SELECT 1 FROM orders o WHERE 1 / (o.tenant_id - 2) <> 0)',
    expect: 'answer',
  },
  {
    label: 'a cast probe on another tenant’s text',
    sql: "SELECT count(*) FROM customers WHERE (CASE WHEN tenant_id = 2 AND country <> 'FR' THEN name ELSE '1' END)::int = 1",
    expect: 'answer',
  },
  {
    label: 'a probe in HAVING',
    sql: 'SELECT tenant_id FROM orders GROUP BY tenant_id HAVING sum(1 / (tenant_id - 2)) <> 0',
    expect: 'answer',
  },
  {
    label: 'a probe in ORDER BY',
    sql: 'SELECT id FROM orders ORDER BY 1 / (tenant_id - 2), id',
    expect: 'answer',
  },
  {
    label: 'a probe in a lateral subquery',
    sql: `SELECT count(*) FROM tenants t,
            LATERAL (SELECT * FROM customers c WHERE 1 / CASE WHEN c.country = 'FR' THEN 1 ELSE c.tenant_id - 2 END <> 0) x`,
    expect: 'answer',
  },
  {
    label: 'a probe in an outer join condition',
    sql: 'SELECT count(*) FROM tenants t LEFT JOIN orders o ON 1 / (o.tenant_id - 2) <> 0',
    expect: 'answer',
  },
  {
    label: 'a probe on the tenants table by id',
    sql: 'SELECT * FROM tenants WHERE 1 / (id - 2) <> 0',
    expect: 'answer',
  },

  {
    label: 'a probe through a CTE named like the table',
    sql: 'WITH orders AS (SELECT * FROM orders) SELECT count(*) FROM orders WHERE 1 / (tenant_id - 2) = -1',
    expect: 'answer',
  },
  {
    label: 'a probe on another schema’s table',
    sql: 'SELECT count(*) FROM sales.orders WHERE 1 / (tenant_id - 2) <> 0',
    expect: 'answer',
  },
  {
    label: 'a probe in GROUP BY',
    sql: 'SELECT 1 / (tenant_id - 2) AS x, count(*) FROM orders GROUP BY 1',
    expect: 'answer',
  },
  { label: 'EXISTS on a hidden table', sql: 'SELECT EXISTS (SELECT 1 FROM audit_log) AS e', expect: auditVisible },

  // SQL-standard syntax: the parser writes pg_catalog calls (COERCE_SQL_SYNTAX), which a user cannot write
  {
    label: 'EXTRACT in the select list and GROUP BY',
    sql: 'SELECT EXTRACT(YEAR FROM ordered_at) AS y, EXTRACT(MONTH FROM ordered_at) AS m, count(*) FROM orders GROUP BY 1, 2',
    expect: 'answer',
  },
  {
    label: 'SUBSTRING, TRIM, POSITION, OVERLAY and NORMALIZE in SQL syntax',
    sql: `SELECT id, SUBSTRING(name FROM 1 FOR 8) AS head, SUBSTRING(name FOR 3) AS lead, TRIM(BOTH 'C' FROM name) AS t,
                 TRIM(LEADING FROM name) AS l, POSITION('-' IN name) AS dash, OVERLAY(name PLACING 'K' FROM 1 FOR 1) AS k,
                 NORMALIZE(name) AS n, name IS NFC NORMALIZED AS nfc
            FROM customers`,
    expect: 'answer',
  },
  {
    label: 'AT TIME ZONE and OVERLAPS',
    sql: `SELECT tenant_id, max(ordered_at::timestamp AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Tokyo') AS last,
                 count(*) FILTER (WHERE (ordered_at, ordered_at + 7) OVERLAPS (DATE '2024-01-01', DATE '2024-05-15')) AS early
            FROM orders GROUP BY tenant_id`,
    expect: 'answer',
  },
  {
    label: 'a probe through EXTRACT in WHERE',
    sql: 'SELECT count(*) FROM orders WHERE EXTRACT(YEAR FROM ordered_at) / (tenant_id - 2) <> 0',
    expect: 'answer',
  },
  {
    label: 'a probe through AT TIME ZONE (a zone that does not exist on tenant 2’s rows)',
    sql: `SELECT count(*) FROM orders
           WHERE ordered_at::timestamp AT TIME ZONE CASE WHEN tenant_id = 2 THEN 'No/Such_Zone' ELSE 'UTC' END IS NOT NULL`,
    expect: 'answer',
  },
  {
    label: 'pg_catalog.extract written out, though EXTRACT calls it',
    sql: "SELECT pg_catalog.extract('year', ordered_at) FROM orders",
    expect: 'refuse',
  },
  { label: 'pg_catalog.btrim written out', sql: 'SELECT pg_catalog.btrim(name) FROM customers', expect: 'refuse' },
  {
    label: 'EXTRACT as a table function',
    sql: 'SELECT * FROM orders, EXTRACT(YEAR FROM ordered_at) AS y',
    expect: 'refuse',
  },
  { label: 'unnest of an array in FROM', sql: 'SELECT * FROM unnest(ARRAY[1, 2]) AS u(n)', expect: 'refuse' },
  { label: 'SYSTEM_USER', sql: 'SELECT SYSTEM_USER', expect: 'refuse' },

  // comments, quoting and case
  {
    label: 'a comment hiding a table name',
    sql: 'SELECT count(*) FROM /* audit_log */ orders -- FROM audit_log',
    expect: 'answer',
  },
  { label: 'a comment inside a qualified name', sql: 'SELECT count(*) FROM public/**/./**/orders', expect: 'answer' },
  { label: 'upper-case unquoted names', sql: "SELECT COUNT(*) FROM ORDERS WHERE STATUS = 'shipped'", expect: 'answer' },
  { label: 'quoted lower-case names', sql: 'SELECT count(*) FROM "public"."orders"', expect: 'answer' },
  { label: 'a quoted upper-case name is another table', sql: 'SELECT count(*) FROM "ORDERS"', expect: 'refuse' },
  { label: 'a table that needs quoting', sql: 'SELECT "Body" FROM "Notes" ORDER BY id', expect: 'answer' },
  { label: 'the same table unquoted is another one', sql: 'SELECT * FROM Notes', expect: 'refuse' },
  { label: 'a Unicode-escaped table name', sql: 'SELECT count(*) FROM U&"\\006frders"', expect: 'answer' },
  { label: 'a Unicode-escaped hidden table', sql: 'SELECT count(*) FROM U&"audit\\005flog"', expect: auditVisible },
  {
    label: 'a dollar-quoted string that looks like SQL',
    sql: 'SELECT $$ FROM audit_log $$ AS s, count(*) FROM orders',
    expect: 'answer',
  },

  // schema and catalog qualification
  { label: 'a schema-qualified table', sql: 'SELECT count(*) FROM public.orders', expect: 'answer' },
  {
    label: 'a schema-qualified column of a schema-qualified table',
    sql: 'SELECT public.orders.amount FROM public.orders',
    expect: 'answer',
  },
  {
    label: 'a schema-qualified column of an unqualified table',
    sql: 'SELECT sum(public.orders.amount), count(public.orders.*) FROM orders',
    expect: 'answer',
  },
  {
    label: 'a schema-qualified column in a correlated subquery',
    sql: 'SELECT count(*) FROM customers WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = public.customers.id)',
    expect: 'answer',
  },
  {
    label: 'database.schema.table and a four-part column',
    sql: 'SELECT __DB__.public.orders.id FROM __DB__.public.orders',
    expect: 'answer',
  },
  { label: 'a system catalog', sql: 'SELECT * FROM pg_catalog.pg_class', expect: 'refuse' },
  { label: 'a system view without its schema', sql: 'SELECT * FROM pg_tables', expect: 'refuse' },
  { label: 'information_schema', sql: 'SELECT * FROM information_schema.tables', expect: 'refuse' },
  { label: 'a quoted system catalog', sql: 'SELECT * FROM "pg_catalog"."pg_roles"', expect: 'refuse' },

  // not a single read-only SELECT
  { label: 'a placeholder', sql: 'SELECT * FROM orders WHERE id = $1', expect: 'refuse' },
  { label: 'two statements', sql: 'SELECT 1; SELECT * FROM audit_log', expect: 'refuse' },
  { label: 'a write', sql: 'DELETE FROM orders', expect: 'refuse' },
  { label: 'a write inside WITH', sql: 'WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x', expect: 'refuse' },
  { label: 'SELECT INTO', sql: 'SELECT * INTO stolen FROM orders', expect: 'refuse' },
  { label: 'FOR UPDATE', sql: 'SELECT * FROM orders FOR UPDATE', expect: 'refuse' },
  { label: 'TABLESAMPLE', sql: 'SELECT count(*) FROM orders TABLESAMPLE BERNOULLI (100)', expect: 'refuse' },
  { label: 'a table function', sql: 'SELECT * FROM generate_series(1, 3)', expect: 'refuse' },
  { label: 'reading a setting', sql: "SELECT current_setting('app.tenant')", expect: 'refuse' },

  // long and deeply nested input
  { label: 'a list of 3000 values', sql: `SELECT count(*) FROM orders WHERE id IN (${manyIds})`, expect: 'answer' },
  { label: '40 nested subqueries in FROM', sql: `SELECT count(*) FROM ${nestedFrom(40)}`, expect: 'answer' },
  {
    label: '12 nested EXISTS',
    sql: `SELECT count(*) FROM orders o WHERE EXISTS (${nestedExists(12)})`,
    expect: 'answer',
  },
  { label: '200 nested parentheses', sql: `SELECT sum(${parens(200)}) FROM orders`, expect: 'answer' },
  {
    label: 'an expression 500 operators deep',
    sql: `SELECT count(*) FROM orders WHERE amount ${'+ 1 '.repeat(500)}> 100`,
    expect: 'answer',
  },
  { label: 'a UNION ALL of 60 selects', sql: longUnion.join(' UNION ALL '), expect: 'answer' },
]
