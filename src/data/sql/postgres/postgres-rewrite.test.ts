import { parse } from 'libpg-query'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRestrictions, TableRestriction } from '../restrictions.js'
import { rewritePostgresSelect } from './postgres-rewrite.js'
import type { PredicateAsts } from './postgres-rewrite.js'

const table = (schema: string, name: string, alternatives: TableRestriction['alternatives']) =>
  [`${schema}.${name}`, { schema, table: name, alternatives }] as const

const restrictions: ConnectionRestrictions = {
  tables: new Map([
    table('public', 'orders', [
      {
        policy: 'tenant_scoped',
        rules: ['by_tenant'],
        columns: ['id', 'tenant_id', 'customer_id', 'amount'],
        predicate: { sql: 'tenant_id = $1', values: [7] },
      },
    ]),
    table('public', 'customers', [
      {
        policy: 'tenant_scoped',
        rules: ['by_tenant'],
        columns: ['id', 'tenant_id', 'name', 'email'],
        predicate: { sql: 'tenant_id = $1', values: [7] },
      },
      {
        policy: 'partners',
        rules: ['french'],
        columns: ['id', 'tenant_id', 'name'],
        predicate: { sql: 'country = $1', values: ['FR'] },
      },
    ]),
    table('public', 'currencies', [{ policy: 'tenant_scoped', rules: [], columns: ['code', 'name'], predicate: null }]),
    table('sales', 'orders', [
      {
        policy: 'tenant_scoped',
        rules: ['by_tenant'],
        columns: ['id', 'region'],
        predicate: { sql: 'tenant_id = $1', values: [7] },
      },
    ]),
  ]),
}

/** Predicates as the caller parses them: the WHERE clause of `SELECT 1 FROM t WHERE <predicate>`. */
async function parsePredicates(sqls: readonly string[]): Promise<PredicateAsts> {
  const parsed = await Promise.all(sqls.map((sql) => parse(`SELECT 1 FROM t WHERE ${sql}`)))
  return new Map(
    sqls.map((sql, i) => [
      sql,
      (parsed[i]?.stmts?.[0]?.stmt as { SelectStmt: { whereClause: unknown } }).SelectStmt.whereClause,
    ]),
  )
}

let predicates: PredicateAsts
beforeAll(async () => {
  predicates = await parsePredicates(['tenant_id = $1', 'country = $1'])
})

const rewrite = async (sql: string, parameters = 0) =>
  rewritePostgresSelect(await parse(sql), restrictions, predicates, {
    database: 'analytics',
    defaultSchema: 'public',
    parameters,
  })

/** The AST without source positions, which differ between the rewrite and the SQL it is compared with. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !['location', 'stmt_location', 'stmt_len'].includes(k))
      .map(([k, v]) => [k, shape(v)]),
  )
}

// What each base-table reference becomes, written as SQL: `$n` is where the table's values start.
const ORDERS = (alias = 'orders', n = 1, only = '') =>
  `(SELECT orders.id, orders.tenant_id, orders.customer_id, orders.amount FROM ${only}public.orders
     WHERE orders.tenant_id = $${n} OFFSET 0) AS ${alias}`
const CUSTOMERS = (alias = 'customers', n = 1) =>
  `(SELECT customers.id, customers.tenant_id, customers.name,
           CASE WHEN customers.tenant_id = $${n} THEN customers.email END AS email
      FROM public.customers WHERE customers.tenant_id = $${n} OR customers.country = $${n + 1} OFFSET 0) AS ${alias}`
const CURRENCIES = (alias = 'currencies') =>
  `(SELECT currencies.code, currencies.name FROM public.currencies) AS ${alias}`
const SALES_ORDERS = (alias = 'orders', n = 1) =>
  `(SELECT orders.id, orders.region FROM sales.orders WHERE orders.tenant_id = $${n} OFFSET 0) AS ${alias}`

describe('rewritePostgresSelect', () => {
  describe('replaces every base-table reference by its fenced subquery', () => {
    it.each([
      // RangeVar
      ['a table in FROM', 'SELECT id FROM orders', `SELECT id FROM ${ORDERS()}`],
      ['a table under an alias', 'SELECT o.id FROM orders o', `SELECT o.id FROM ${ORDERS('o')}`],
      ['an alias with column names', 'SELECT a FROM orders AS o(a, b)', `SELECT a FROM ${ORDERS('o(a, b)')}`],
      ['a schema-qualified table', 'SELECT id FROM public.orders', `SELECT id FROM ${ORDERS()}`],
      ['the database as catalog', 'SELECT id FROM analytics.public.orders', `SELECT id FROM ${ORDERS()}`],
      ['quoted names', 'SELECT id FROM "public"."orders"', `SELECT id FROM ${ORDERS()}`],
      ['upper-case unquoted names', 'SELECT ID FROM ORDERS', `SELECT id FROM ${ORDERS()}`],
      ['ONLY', 'SELECT id FROM ONLY orders', `SELECT id FROM ${ORDERS('orders', 1, 'ONLY ')}`],
      ['TABLE', 'TABLE orders', `SELECT * FROM ${ORDERS()}`],
      ['a table of another schema', 'SELECT * FROM sales.orders', `SELECT * FROM ${SALES_ORDERS()}`],
      // JoinExpr
      [
        'both sides of a join',
        'SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id',
        `SELECT * FROM ${ORDERS('o')} JOIN ${CUSTOMERS('c', 2)} ON c.id = o.customer_id`,
      ],
      [
        'USING and NATURAL joins',
        'SELECT * FROM orders JOIN customers USING (id) NATURAL JOIN currencies',
        `SELECT * FROM ${ORDERS()} JOIN ${CUSTOMERS('customers', 2)} USING (id) NATURAL JOIN ${CURRENCIES()}`,
      ],
      [
        'a join under an alias',
        'SELECT j.id FROM (orders JOIN currencies ON true) AS j',
        `SELECT j.id FROM (${ORDERS()} JOIN ${CURRENCIES()} ON true) AS j`,
      ],
      // RangeSubselect
      ['a subquery in FROM', 'SELECT * FROM (SELECT id FROM orders) x', `SELECT * FROM (SELECT id FROM ${ORDERS()}) x`],
      [
        'a LATERAL subquery',
        'SELECT * FROM currencies, LATERAL (SELECT id FROM orders o WHERE o.id = 1) x',
        `SELECT * FROM ${CURRENCIES()}, LATERAL (SELECT id FROM ${ORDERS('o')} WHERE o.id = 1) x`,
      ],
      // SubLink
      ['EXISTS', 'SELECT 1 WHERE EXISTS (SELECT 1 FROM orders)', `SELECT 1 WHERE EXISTS (SELECT 1 FROM ${ORDERS()})`],
      [
        'IN (subquery)',
        'SELECT 1 FROM currencies WHERE 7 IN (SELECT id FROM orders)',
        `SELECT 1 FROM ${CURRENCIES()} WHERE 7 IN (SELECT id FROM ${ORDERS()})`,
      ],
      [
        'a scalar subquery in the select list',
        'SELECT (SELECT max(id) FROM orders)',
        `SELECT (SELECT max(id) FROM ${ORDERS()})`,
      ],
      [
        'a subquery in HAVING',
        'SELECT 1 FROM currencies HAVING count(*) > (SELECT count(*) FROM orders)',
        `SELECT 1 FROM ${CURRENCIES()} HAVING count(*) > (SELECT count(*) FROM ${ORDERS()})`,
      ],
      ['ARRAY (subquery)', 'SELECT ARRAY(SELECT id FROM orders)', `SELECT ARRAY(SELECT id FROM ${ORDERS()})`],
      [
        'a subquery in a window',
        'SELECT rank() OVER (PARTITION BY (SELECT 1 FROM orders)) FROM currencies',
        `SELECT rank() OVER (PARTITION BY (SELECT 1 FROM ${ORDERS()})) FROM ${CURRENCIES()}`,
      ],
      ['a subquery in VALUES', 'VALUES ((SELECT count(*) FROM orders))', `VALUES ((SELECT count(*) FROM ${ORDERS()}))`],
      [
        'a subquery in ORDER BY and LIMIT',
        'SELECT 1 ORDER BY (SELECT 1 FROM orders) LIMIT (SELECT count(*) FROM currencies)',
        `SELECT 1 ORDER BY (SELECT 1 FROM ${ORDERS()}) LIMIT (SELECT count(*) FROM ${CURRENCIES()})`,
      ],
      [
        'a subquery in a table function’s arguments',
        'SELECT * FROM unnest((SELECT array_agg(id) FROM orders))',
        `SELECT * FROM unnest((SELECT array_agg(id) FROM ${ORDERS()}))`,
      ],
      // SelectStmt set operations
      [
        'both arms of a set operation',
        'SELECT id FROM orders UNION SELECT id FROM customers',
        `SELECT id FROM ${ORDERS()} UNION SELECT id FROM ${CUSTOMERS('customers', 2)}`,
      ],
      [
        'nested set operations',
        '(SELECT id FROM orders INTERSECT SELECT id FROM orders) EXCEPT SELECT 1',
        `(SELECT id FROM ${ORDERS()} INTERSECT SELECT id FROM ${ORDERS()}) EXCEPT SELECT 1`,
      ],
      // CommonTableExpr
      [
        'a CTE body, not the CTE',
        'WITH t AS (SELECT id FROM orders) SELECT * FROM t',
        `WITH t AS (SELECT id FROM ${ORDERS()}) SELECT * FROM t`,
      ],
      [
        'the table a CTE of the same name reads (a plain WITH does not see itself)',
        'WITH orders AS (SELECT * FROM orders) SELECT * FROM orders',
        `WITH orders AS (SELECT * FROM ${ORDERS()}) SELECT * FROM orders`,
      ],
      [
        'a table named like a later CTE of a plain WITH',
        'WITH a AS (SELECT * FROM orders), orders AS (SELECT 1) SELECT * FROM a, orders',
        `WITH a AS (SELECT * FROM ${ORDERS()}), orders AS (SELECT 1) SELECT * FROM a, orders`,
      ],
      [
        'nothing that a recursive CTE names after itself',
        'WITH RECURSIVE orders(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM orders WHERE n < 3) SELECT * FROM orders',
        'WITH RECURSIVE orders(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM orders WHERE n < 3) SELECT * FROM orders',
      ],
      [
        'the tables of a recursive CTE’s arms',
        'WITH RECURSIVE r AS (SELECT id FROM orders UNION ALL SELECT r.id FROM r JOIN currencies ON false) SELECT * FROM r',
        `WITH RECURSIVE r AS (SELECT id FROM ${ORDERS()} UNION ALL SELECT r.id FROM r JOIN ${CURRENCIES()} ON false)
         SELECT * FROM r`,
      ],
      [
        'nothing that WITH RECURSIVE names before it is defined',
        'WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT id FROM orders) SELECT * FROM a',
        `WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT id FROM ${ORDERS()}) SELECT * FROM a`,
      ],
      [
        'a schema-qualified name, which is never a CTE',
        'WITH orders AS (SELECT 1) SELECT * FROM orders, public.orders p',
        `WITH orders AS (SELECT 1) SELECT * FROM orders, ${ORDERS('p')}`,
      ],
      [
        'a table an inner WITH shadows only inside its own query',
        'SELECT (WITH orders AS (SELECT 1) SELECT count(*) FROM orders) FROM orders',
        `SELECT (WITH orders AS (SELECT 1) SELECT count(*) FROM orders) FROM ${ORDERS()}`,
      ],
      [
        'a set operation under a WITH',
        'WITH t AS (SELECT 1) SELECT * FROM t UNION SELECT id FROM orders',
        `WITH t AS (SELECT 1) SELECT * FROM t UNION SELECT id FROM ${ORDERS()}`,
      ],
      [
        'an arm with its own WITH',
        '(WITH orders AS (SELECT 1) SELECT * FROM orders) UNION SELECT id FROM orders',
        `(WITH orders AS (SELECT 1) SELECT * FROM orders) UNION SELECT id FROM ${ORDERS()}`,
      ],
    ])('%s', async (_, sql, expected) => {
      expect(shape((await rewrite(sql)).ast)).toEqual(shape(await parse(expected)))
    })
  })

  describe('shows each cell only when one policy admits both its row and its column', () => {
    it('NULLs a column on rows that only a policy without it admits', async () => {
      expect(shape((await rewrite('SELECT * FROM customers')).ast)).toEqual(
        shape(await parse(`SELECT * FROM ${CUSTOMERS()}`)),
      )
    })

    it.each([
      ['no predicate at all: no WHERE, no fence', [null, null], 'SELECT t.a, t.b FROM public.t'],
      [
        'a policy without a predicate shows its columns on every row',
        [null, 'x = $1'],
        'SELECT t.a, t.b FROM public.t',
      ],
      [
        'predicates are ORed and a column only one policy lists is NULL elsewhere',
        ['x = $1', 'y = $1'],
        'SELECT t.a, CASE WHEN t.x = $1 THEN t.b END AS b FROM public.t WHERE t.x = $1 OR t.y = $2 OFFSET 0',
      ],
    ])('%s', async (_, [first, second], expected) => {
      const where = await parsePredicates([first, second].filter((p): p is string => p !== null))
      const predicate = (sql: string | null | undefined) => (sql == null ? null : { sql, values: [1] })
      const t: ConnectionRestrictions = {
        tables: new Map([
          table('public', 't', [
            { policy: 'A', rules: [], columns: ['a', 'b'], predicate: predicate(first) },
            { policy: 'B', rules: [], columns: ['a'], predicate: predicate(second) },
          ]),
        ]),
      }
      const ast = await parse('SELECT * FROM t')
      const result = rewritePostgresSelect(ast, t, where, { database: 'd', defaultSchema: 'public', parameters: 0 })
      expect(shape(result.ast)).toEqual(shape(await parse(`SELECT * FROM (${expected}) AS t`)))
    })
  })

  describe('schema-qualified column references', () => {
    it.each([
      [
        'become table.column when the table is that unaliased base table',
        'SELECT public.orders.amount, public.orders.* FROM public.orders',
        `SELECT orders.amount, orders.* FROM ${ORDERS()}`,
      ],
      [
        'match an unqualified table in the default schema',
        'SELECT public.orders.amount FROM orders',
        `SELECT orders.amount FROM ${ORDERS()}`,
      ],
      [
        'may name the database too',
        'SELECT analytics.public.orders.amount FROM orders',
        `SELECT orders.amount FROM ${ORDERS()}`,
      ],
      [
        'reach an outer query',
        'SELECT 1 FROM orders WHERE EXISTS (SELECT 1 FROM currencies WHERE currencies.code = public.orders.id::text)',
        `SELECT 1 FROM ${ORDERS()} WHERE EXISTS (SELECT 1 FROM ${CURRENCIES()} WHERE currencies.code = orders.id::text)`,
      ],
      [
        'stay as written for an aliased table (PostgreSQL refuses them)',
        'SELECT public.orders.amount FROM orders o',
        `SELECT public.orders.amount FROM ${ORDERS('o')}`,
      ],
      [
        'stay as written for another schema’s table of the same name',
        'SELECT sales.orders.id FROM public.orders',
        `SELECT sales.orders.id FROM ${ORDERS()}`,
      ],
      [
        'stay as written when a nearer level uses the name for something else',
        'SELECT (SELECT public.orders.id FROM (SELECT 1 AS id) orders) FROM public.orders',
        `SELECT (SELECT public.orders.id FROM (SELECT 1 AS id) orders) FROM ${ORDERS()}`,
      ],
      [
        'stay as written for another database',
        'SELECT other.public.orders.id FROM orders',
        `SELECT other.public.orders.id FROM ${ORDERS()}`,
      ],
    ])('%s', async (_, sql, expected) => {
      expect(shape((await rewrite(sql)).ast)).toEqual(shape(await parse(expected)))
    })
  })

  describe('parameters', () => {
    it('binds the row rules’ values after a custom tool’s own parameters', async () => {
      const result = await rewrite('SELECT id FROM orders WHERE amount > $1', 1)
      expect(shape(result.ast)).toEqual(shape(await parse(`SELECT id FROM ${ORDERS('orders', 2)} WHERE amount > $1`)))
      expect(result.params).toEqual([7])
    })

    it('gives every reference to one table the same placeholders', async () => {
      const result = await rewrite('SELECT * FROM orders a JOIN orders b ON a.id = b.id')
      expect(shape(result.ast)).toEqual(
        shape(await parse(`SELECT * FROM ${ORDERS('a')} JOIN ${ORDERS('b')} ON a.id = b.id`)),
      )
      expect(result.params).toEqual([7])
    })

    it('numbers the tables’ values in the order the query names them', async () => {
      const result = await rewrite('SELECT * FROM customers, orders, currencies')
      expect(shape(result.ast)).toEqual(
        shape(await parse(`SELECT * FROM ${CUSTOMERS()}, ${ORDERS('orders', 3)}, ${CURRENCIES()}`)),
      )
      expect(result.params).toEqual([7, 'FR', 7])
    })

    it('reports the rules of every table read, once each', async () => {
      const result = await rewrite('SELECT * FROM customers, orders, currencies, customers c2')
      expect(result.appliedRules).toEqual(['tenant_scoped.by_tenant', 'partners.french'])
    })
  })

  describe('refuses', () => {
    it.each([
      ['a table the principal may not see', 'SELECT * FROM audit_log', 'Table audit_log does not exist'],
      ['the same, schema-qualified', 'SELECT * FROM public.audit_log', 'Table public.audit_log does not exist'],
      ['a quoted name in another case', 'SELECT * FROM "ORDERS"', 'Table ORDERS does not exist'],
      ['a table of another database', 'SELECT * FROM other.public.orders', 'Table other.public.orders does not exist'],
      [
        'a hidden table read by a CTE of its name',
        'WITH audit_log AS (SELECT * FROM audit_log) SELECT * FROM audit_log',
        'Table audit_log does not exist',
      ],
      [
        'a hidden table under a schema-qualified name while a CTE has its name',
        'WITH audit_log AS (SELECT 1) SELECT * FROM public.audit_log',
        'Table public.audit_log does not exist',
      ],
      [
        'a name only a later CTE of a plain WITH defines',
        'WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a',
        'Table b does not exist',
      ],
      [
        'a system catalog',
        'SELECT * FROM pg_catalog.pg_class',
        'System catalogs are not available (pg_catalog.pg_class): use list_tables and describe_table',
      ],
      [
        'a system view without its schema',
        'SELECT * FROM pg_tables',
        'System catalogs are not available (pg_tables): use list_tables and describe_table',
      ],
      [
        'information_schema',
        'SELECT * FROM information_schema.tables',
        'System catalogs are not available (information_schema.tables): use list_tables and describe_table',
      ],
      [
        'a placeholder in dev mode',
        'SELECT * FROM orders WHERE id = $1',
        'Placeholders ($1, ?) are not allowed in SQL: write the values into the query',
      ],
      ['two statements', 'SELECT 1; SELECT 2', 'Exactly one SQL statement is accepted'],
      ['a write', 'DELETE FROM orders', 'Only a single read-only SELECT statement is accepted'],
      [
        'a write inside WITH',
        'WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x',
        'Only a single read-only SELECT statement is accepted',
      ],
      ['SELECT INTO', 'SELECT * INTO t FROM orders', 'SELECT INTO creates a table and is not allowed'],
      ['FOR UPDATE', 'SELECT * FROM orders FOR UPDATE', 'FOR UPDATE and FOR SHARE are not allowed'],
      ['TABLESAMPLE', 'SELECT * FROM orders TABLESAMPLE SYSTEM (10)', 'TABLESAMPLE is not allowed'],
      [
        'two base tables that would share one name',
        'SELECT * FROM public.orders, sales.orders',
        'Tables public.orders and sales.orders are both called orders here: give them aliases',
      ],
    ])('%s', async (_, sql, message) => {
      await expect(rewrite(sql)).rejects.toMatchObject({ code: 'SQL_REFUSED', message })
    })

    it('a placeholder past the query’s own, which would bind a row rule’s value', async () => {
      await expect(rewrite('SELECT * FROM orders WHERE id = $2', 1)).rejects.toMatchObject({
        code: 'SQL_REFUSED',
        message: '$2 is not a parameter of this query',
      })
    })
  })

  describe('is pure', () => {
    const sql = `WITH t AS (SELECT * FROM orders) SELECT c.*, (SELECT count(*) FROM t)
                   FROM customers c JOIN LATERAL (SELECT 1 FROM orders o WHERE o.customer_id = c.id) x ON true
                  WHERE EXISTS (SELECT 1 FROM currencies) UNION ALL SELECT * FROM customers`

    it('never changes the AST it is given', async () => {
      const ast = deepFreeze(await parse(sql))
      const before = JSON.stringify(ast)
      await expect(
        (async () =>
          rewritePostgresSelect(ast, restrictions, predicates, {
            database: 'analytics',
            defaultSchema: 'public',
            parameters: 0,
          }))(),
      ).resolves.toBeDefined()
      expect(JSON.stringify(ast)).toBe(before)
    })

    it('shares no node with its input or with the predicates', async () => {
      const ast = await parse(sql)
      const result = rewritePostgresSelect(ast, restrictions, predicates, {
        database: 'analytics',
        defaultSchema: 'public',
        parameters: 0,
      })
      const inputs = new Set([...objects(ast), ...[...predicates.values()].flatMap(objects)])
      expect(objects(result.ast).filter((o) => inputs.has(o))).toEqual([])
    })

    it('leaves no base table outside a fenced subquery', async () => {
      const { ast } = await rewrite(sql)
      const tables = rangeVars(ast)
      const fenced = subqueries(ast).flatMap((s) => (s.fromClause?.length === 1 ? [s.fromClause[0]?.RangeVar] : []))
      // Every RangeVar left is either the CTE or the only item of a subquery's FROM: one of the fenced ones.
      expect(tables.filter((t) => t.schemaname === undefined).map((t) => t.relname)).toEqual(['t'])
      expect(tables.filter((t) => t.schemaname !== undefined).every((t) => fenced.includes(t))).toBe(true)
      expect(fenced.filter((t) => t !== undefined).map((t) => t.relname)).toEqual([
        'orders',
        'customers',
        'orders',
        'currencies',
        'customers',
      ])
    })
  })
})

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

function objects(value: unknown): object[] {
  if (typeof value !== 'object' || value === null) return []
  return [value, ...Object.values(value).flatMap(objects)]
}

interface Table {
  readonly schemaname?: string
  readonly relname?: string
}

function rangeVars(value: unknown): Table[] {
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([k, v]) => (k === 'RangeVar' ? [v as Table] : rangeVars(v)))
}

function subqueries(value: unknown): { fromClause?: { RangeVar?: Table }[] }[] {
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'RangeSubselect'
      ? [(v as { subquery: { SelectStmt: object } }).subquery.SelectStmt, ...subqueries(v)]
      : subqueries(v),
  )
}
