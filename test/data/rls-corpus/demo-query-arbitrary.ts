import fc from 'fast-check'

/**
 * Random SELECTs over the "acme" demo warehouse, for the RLS property tests:
 * plain, grouped and windowed selects, UNION ALL, joins along the warehouse's
 * keys, subqueries in FROM, IN and EXISTS, CTEs, and expressions that raise
 * on some rows (error probes). Every query is valid SQL for DuckDB and
 * PostgreSQL alike, and has one answer as a multiset: a LIMIT always follows
 * an ORDER BY that fixes which rows it keeps (up to equal rows). Hidden names
 * (`customers.phone`, the table `audit_trail`) come up now and then, as a
 * principal who guesses them would write them. `__SCHEMA__` stands for the
 * engine's schema of the demo tables.
 */
export const DEMO_SCHEMA_PLACEHOLDER = '__SCHEMA__'

type SqlType = 'int' | 'dec' | 'text' | 'ts'

interface ColumnModel {
  readonly name: string
  readonly type: SqlType
  /** Values worth comparing with: some hit rows, some miss. */
  readonly literals: readonly string[]
  /** A column most principals cannot see: named only now and then. */
  readonly rare?: true
}

interface TableModel {
  readonly name: string
  /** A column no two rows share. */
  readonly key: string
  readonly columns: readonly ColumnModel[]
  readonly rare?: true
}

/** A name the query can use, and what to compare it with. */
interface Ref {
  readonly sql: string
  readonly type: SqlType
  readonly literals: readonly string[]
  /** The table it is a column of, where it is one, and that table's alias. */
  readonly table?: string
  readonly alias?: string
  readonly column?: string
}

interface From {
  readonly sql: string
  /** A WITH clause the FROM needs, if any. */
  readonly with?: string
  readonly refs: readonly Ref[]
  /** No two rows of the FROM share it: joins only go from many to one. */
  readonly key: string
}

const text = (...values: string[]) => values.map((v) => `'${v.replaceAll("'", "''")}'`)
const ints = (...values: number[]) => values.map(String)
const stamps = (...days: string[]) => days.map((d) => `TIMESTAMP '${d} 00:00:00'`)

const TENANT = text('t_globex', 't_initech', 't_umbrella', 't_hooli', 't_none')
const REGION = text('EMEA', 'NA', 'APAC', 'LATAM')
const WHEN = stamps('2022-09-01', '2023-06-15', '2024-03-01', '2024-11-20', '2025-06-30')

const col = (name: string, type: SqlType, literals: readonly string[], rare?: true): ColumnModel =>
  rare === undefined ? { name, type, literals } : { name, type, literals, rare }

export const DEMO_TABLE_MODELS: readonly TableModel[] = [
  {
    name: 'tenants',
    key: 'tenant_id',
    columns: [
      col('tenant_id', 'text', TENANT),
      col('name', 'text', text('Globex Corporation', 'Initech', 'Hooli Labs', 'M')),
      col('plan', 'text', text('enterprise', 'pro', 'free')),
      col('created_at', 'ts', WHEN),
    ],
  },
  {
    name: 'regions',
    key: 'code',
    columns: [col('code', 'text', REGION), col('name', 'text', text('North America', 'Asia-Pacific', 'L'))],
  },
  {
    name: 'customers',
    key: 'id',
    columns: [
      col('id', 'int', ints(0, 7, 150, 700, 2500)),
      col('tenant_id', 'text', TENANT),
      col('name', 'text', text('Olivia Smith', 'M', 'Noah Kim')),
      col('email', 'text', text('m', 'olivia.smith1@example.com')),
      col('phone', 'text', text('+1-555-5', '+1-555-000-0000'), true),
      col('region', 'text', REGION),
      col('created_at', 'ts', WHEN),
    ],
  },
  {
    name: 'products',
    key: 'id',
    columns: [
      col('id', 'int', ints(0, 3, 50, 120)),
      col('name', 'text', text('Aurora Kite', 'N', 'Summit Tent')),
      col('category', 'text', text('Electronics', 'Office', 'Toys', 'Garden')),
      col('price', 'dec', ints(0, 20, 150, 900)),
    ],
  },
  {
    name: 'orders',
    key: 'id',
    columns: [
      col('id', 'int', ints(0, 10, 200, 450)),
      col('tenant_id', 'text', TENANT),
      col('customer_id', 'int', ints(1, 40, 300, 2000)),
      col('product_id', 'int', ints(1, 5, 30, 150)),
      col('region', 'text', REGION),
      col('status', 'text', text('completed', 'shipped', 'pending', 'cancelled', 'refunded')),
      col('quantity', 'int', ints(0, 1, 2, 5, 10)),
      col('amount', 'dec', ints(0, 50, 300, 2000)),
      col('ordered_at', 'ts', WHEN),
    ],
  },
  {
    name: 'audit_trail',
    key: 'id',
    rare: true,
    columns: [
      col('id', 'int', ints(0, 10, 100)),
      col('tenant_id', 'text', TENANT),
      col('actor', 'text', text('olivia@globex.example.com', 'm')),
      col('action', 'text', text('user.login', 'report.export', 'role.grant')),
      col('at', 'ts', WHEN),
    ],
  },
]

/** Many-to-one joins along the warehouse's keys. */
const EDGES: readonly (readonly [string, string, string, string])[] = [
  ['orders', 'customer_id', 'customers', 'id'],
  ['orders', 'product_id', 'products', 'id'],
  ['orders', 'tenant_id', 'tenants', 'tenant_id'],
  ['orders', 'region', 'regions', 'code'],
  ['customers', 'tenant_id', 'tenants', 'tenant_id'],
  ['customers', 'region', 'regions', 'code'],
  ['audit_trail', 'tenant_id', 'tenants', 'tenant_id'],
]

/**
 * Rows that none of the principals of `demo-principals.ts` sees, by table:
 * an expression that raises on these rows only must never raise for them.
 */
const HIDDEN_ROWS: Readonly<Record<string, string>> = {
  tenants: `tenant_id = 't_umbrella'`,
  customers: `tenant_id = 't_umbrella' AND region <> 'EMEA'`,
  orders: `tenant_id = 't_umbrella' AND region <> 'EMEA'`,
  audit_trail: `tenant_id = 't_umbrella' AND action NOT LIKE 'user.%'`,
}

const LIKE = text('%a%', 'M%', '%.com', 'user.%', 't\\_%', '%-555-%', '%')
const FALLBACK: Readonly<Record<SqlType, readonly string[]>> = {
  int: ints(0, 1, 3),
  dec: ints(0, 100),
  text: text('x', 'EMEA'),
  ts: WHEN,
}

function ident(name: string): string {
  // `at` is a keyword in DuckDB (time travel); PostgreSQL reads the quoted name alike.
  return name === 'at' ? '"at"' : name
}

export interface DemoQuery {
  readonly sql: string
  /**
   * It holds an expression that raises on some visible rows. Which rows an
   * engine evaluates it on, beyond those the answer needs, is the plan's
   * choice: such a query may fail on one database and not on another.
   */
  readonly mayFailOnVisibleRows: boolean
}

/** Writes one query from the values `g` draws; the same draws write the same query. */
class QueryWriter {
  readonly #g: fc.GeneratorValue
  #aliases = 0
  #mayFailOnVisibleRows = false

  constructor(g: fc.GeneratorValue) {
    this.#g = g
  }

  query(): DemoQuery {
    const shape = this.#weighted([
      [5, () => this.#plain(2)],
      [3, () => this.#grouped(2)],
      [2, () => this.#union()],
    ])
    return { sql: shape(), mayFailOnVisibleRows: this.#mayFailOnVisibleRows }
  }

  // drawing

  #int(min: number, max: number): number {
    return this.#g(fc.integer, { min, max })
  }

  #chance(percent: number): boolean {
    return this.#int(0, 99) < percent
  }

  #pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('nothing to pick from')
    return list[this.#int(0, list.length - 1)] as T
  }

  #weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let n = this.#int(0, choices.reduce((sum, [w]) => sum + w, 0) - 1)
    for (const [weight, value] of choices) {
      if (n < weight) return value
      n -= weight
    }
    throw new Error('unreachable')
  }

  #some<T>(list: readonly T[], min: number, max: number): T[] {
    const chosen = list.filter(() => this.#chance(50))
    while (chosen.length < Math.min(min, list.length)) chosen.push(this.#pick(list))
    return chosen.slice(0, max)
  }

  #alias(): string {
    return `t${this.#aliases++}`
  }

  #table(): TableModel {
    return this.#weighted(DEMO_TABLE_MODELS.map((t) => [t.rare === true ? 1 : 5, t] as const))
  }

  #columns(table: TableModel): readonly ColumnModel[] {
    return table.columns.filter((c) => c.rare !== true || this.#chance(10))
  }

  #tableName(table: TableModel): string {
    return this.#chance(15) ? `${DEMO_SCHEMA_PLACEHOLDER}.${table.name}` : table.name
  }

  #refs(alias: string, table: TableModel): Ref[] {
    return this.#columns(table).map((c) => ({
      sql: `${alias}.${ident(c.name)}`,
      type: c.type,
      literals: c.literals,
      table: table.name,
      alias,
      column: c.name,
    }))
  }

  // FROM

  #from(depth: number): From {
    return this.#weighted([
      [6, () => this.#joins()],
      [depth > 0 ? 2 : 0, () => this.#derived(depth - 1)],
    ])()
  }

  #joins(): From {
    const base = this.#table()
    const alias = this.#alias()
    let sql = `${this.#tableName(base)} AS ${alias}`
    const refs = this.#refs(alias, base)
    const inScope = new Map([[base.name, alias]])
    for (
      let n = this.#weighted([
        [5, 0],
        [4, 1],
        [2, 2],
      ]);
      n > 0;
      n--
    ) {
      const edges = EDGES.filter(([from, , to]) => inScope.has(from) && !inScope.has(to))
      if (edges.length === 0) break
      const [from, fromColumn, to, toColumn] = this.#pick(edges)
      const target = DEMO_TABLE_MODELS.find((t) => t.name === to) as TableModel
      const next = this.#alias()
      const kind = this.#pick(['JOIN', 'LEFT JOIN', 'INNER JOIN'])
      sql += ` ${kind} ${this.#tableName(target)} AS ${next} ON ${next}.${toColumn} = ${inScope.get(from)}.${fromColumn}`
      inScope.set(to, next)
      refs.push(...this.#refs(next, target))
    }
    return { sql, refs, key: `${alias}.${ident(base.key)}` }
  }

  /** A filtered, perhaps limited, projection of one table, in FROM or as a CTE. */
  #derived(depth: number): From {
    const table = this.#table()
    const inner = this.#alias()
    const keyColumn = table.columns.find((c) => c.name === table.key) as ColumnModel
    const chosen = [keyColumn, ...this.#some(this.#columns(table), 1, 4).filter((c) => c !== keyColumn)]
    const innerRefs = this.#refs(inner, table)
    let body = `SELECT ${chosen.map((c) => `${inner}.${ident(c.name)}`).join(', ')} FROM ${this.#tableName(table)} AS ${inner}`
    if (this.#chance(70)) body += ` WHERE ${this.#predicate(innerRefs, depth)}`
    if (this.#chance(25)) body += ` ORDER BY ${inner}.${ident(table.key)} LIMIT ${this.#int(0, 30)}`
    const alias = this.#alias()
    const refs = chosen.map((c) => ({ sql: `${alias}.${ident(c.name)}`, type: c.type, literals: c.literals }))
    const key = `${alias}.${ident(table.key)}`
    return this.#chance(50)
      ? { sql: `(${body}) AS ${alias}`, refs, key }
      : { sql: alias, with: `WITH ${alias} AS (${body}) `, refs, key }
  }

  // query shapes

  #plain(depth: number): string {
    const from = this.#from(depth)
    const star = this.#chance(20)
    const items = star ? [] : this.#items(from.refs, depth)
    if (!star && this.#chance(20)) items.push(this.#window(from))
    if (!star && depth > 0 && this.#chance(10)) items.push(`${this.#scalarSubquery(from.refs)} AS sq`)
    const distinct = !star && this.#chance(15) ? 'DISTINCT ' : ''
    const list = star ? this.#pick(['*', `${from.key.split('.')[0] ?? ''}.*`]) : items.join(', ')
    let sql = `${from.with ?? ''}SELECT ${distinct}${list} FROM ${from.sql}`
    if (this.#chance(70)) sql += ` WHERE ${this.#predicate(from.refs, depth)}`
    if (this.#chance(30)) {
      const order = star ? from.key : items.map((_, i) => String(i + 1)).join(', ')
      sql += ` ORDER BY ${order} LIMIT ${this.#int(0, 25)}`
    }
    return sql
  }

  #items(refs: readonly Ref[], depth: number): string[] {
    return Array.from({ length: this.#int(1, 4) }, (_, i) => {
      if (this.#chance(60)) return this.#pick(refs).sql
      const expression = this.#expression(this.#pick(['int', 'dec', 'text', 'ts'] as const), refs, depth)
      // Unnamed expressions are named by each engine; the answer must carry the same name.
      return this.#chance(75) ? `${expression} AS e${i}` : expression
    })
  }

  #window(from: From): string {
    const partition = this.#chance(70) ? `PARTITION BY ${this.#pick(from.refs).sql} ` : ''
    const numeric = from.refs.filter((r) => r.type === 'int' || r.type === 'dec')
    const call = this.#weighted([
      [3, `row_number() OVER (${partition}ORDER BY ${from.key})`],
      [2, `rank() OVER (${partition}ORDER BY ${this.#pick(from.refs).sql})`],
      [numeric.length > 0 ? 2 : 0, `sum(${numeric[0]?.sql ?? '1'}) OVER (${partition.trim()})`],
      [1, `count(*) OVER (${partition.trim()})`],
      [2, `lag(${this.#pick(from.refs).sql}) OVER (${partition}ORDER BY ${from.key})`],
    ])
    return `${call} AS w`
  }

  #grouped(depth: number): string {
    const from = this.#from(depth)
    const groups = this.#some(from.refs, 0, 2).map((r) => r.sql)
    const aggregates = Array.from({ length: this.#int(1, 3) }, (_, i) => `${this.#aggregate(from.refs)} AS a${i}`)
    const items = [...new Set(groups), ...aggregates]
    let sql = `${from.with ?? ''}SELECT ${items.join(', ')} FROM ${from.sql}`
    if (this.#chance(60)) sql += ` WHERE ${this.#predicate(from.refs, depth)}`
    if (groups.length > 0) sql += ` GROUP BY ${[...new Set(groups)].join(', ')}`
    if (this.#chance(25)) sql += ` HAVING count(*) > ${this.#int(0, 5)}`
    if (this.#chance(30)) sql += ` ORDER BY ${items.map((_, i) => String(i + 1)).join(', ')} LIMIT ${this.#int(1, 10)}`
    return sql
  }

  #aggregate(refs: readonly Ref[]): string {
    const ref = this.#pick(refs)
    const summable = refs.filter((r) => r.type === 'int' || r.type === 'dec')
    const whole = refs.filter((r) => r.type === 'int')
    // sum and avg of whole and fixed-point numbers only: a float's sum depends on the order rows come in.
    return this.#weighted([
      [3, 'count(*)'],
      [2, `count(${ref.sql})`],
      [2, `count(DISTINCT ${ref.sql})`],
      [summable.length > 0 ? 3 : 0, `sum(${summable[0]?.sql ?? ''})`],
      [whole.length > 0 ? 1 : 0, `avg(${whole[whole.length - 1]?.sql ?? ''})`],
      [2, `min(${ref.sql})`],
      [2, `max(${ref.sql})`],
      [ref.type === 'text' ? 1 : 0, `string_agg(${ref.sql}, ',' ORDER BY ${ref.sql})`],
    ])
  }

  #union(): string {
    const types = Array.from({ length: this.#int(1, 3) }, () => this.#pick(['int', 'dec', 'text', 'ts'] as const))
    const limited = this.#chance(30)
    // known: DuckDB 1.5.6 answers wrongly when a TopN (ORDER BY … LIMIT) sits over a UNION ALL one branch of
    // which has an anti-join on keys of two integer types (`SELECT id FROM c WHERE id NOT IN (SELECT id FROM o)
    // UNION ALL SELECT 7::BIGINT FROM c ORDER BY 1 LIMIT 3`, c.id INTEGER PRIMARY KEY, o.id BIGINT, gives
    // 7, 7, 7), on either side of the property: so no subqueries in such a union's branches.
    const depth = limited ? 0 : 1
    const side = () => {
      const from = this.#joins()
      const items = types.map((t, i) => `${this.#expression(t, from.refs, 0)} AS c${i}`)
      const where = this.#chance(60) ? ` WHERE ${this.#predicate(from.refs, depth)}` : ''
      return `SELECT ${items.join(', ')} FROM ${from.sql}${where}`
    }
    const union = `${side()} UNION ALL ${side()}`
    if (limited) return `${union} ORDER BY ${types.map((_, i) => String(i + 1)).join(', ')} LIMIT ${this.#int(0, 20)}`
    return this.#chance(60) ? union : `SELECT c0, count(*) AS n FROM (${union}) AS u GROUP BY c0`
  }

  // expressions

  #expression(type: SqlType, refs: readonly Ref[], depth: number): string {
    const own = refs.filter((r) => r.type === type)
    const texts = refs.filter((r) => r.type === 'text')
    const literal = () => this.#pick(own.length > 0 ? this.#pick(own).literals : FALLBACK[type])
    const column = () => (own.length > 0 ? this.#pick(own).sql : literal())
    const choices: [number, () => string][] = [
      [6, column],
      [1, literal],
      [depth > 0 ? 1 : 0, () => `CASE WHEN ${this.#predicate(refs, depth - 1)} THEN ${column()} ELSE ${literal()} END`],
    ]
    if (type === 'int') {
      choices.push(
        [2, () => `${column()} ${this.#pick(['+', '-', '*'])} ${this.#int(1, 5)}`],
        [1, () => `${column()} % ${this.#int(2, 7)}`],
        [texts.length > 0 ? 1 : 0, () => `length(${this.#pick(texts).sql})`],
        [texts.length > 0 ? 1 : 0, () => this.#probe(texts)],
        [1, () => this.#hiddenProbe(refs) ?? column()],
      )
    }
    if (type === 'dec') {
      choices.push(
        [2, () => `${column()} * ${this.#int(1, 3)}`],
        [1, () => `round(${column()}, ${this.#int(0, 1)})`],
        [1, () => `coalesce(${column()}, 0)`],
      )
    }
    if (type === 'text') {
      choices.push(
        [1, () => `lower(${column()})`],
        [1, () => `upper(${column()})`],
        [1, () => `${column()} || '-'`],
        [1, () => `coalesce(${column()}, 'none')`],
        [1, () => `substr(${column()}, 1, ${this.#int(1, 4)})`],
      )
    }
    if (type === 'ts') choices.push([1, () => `date_trunc('month', ${column()})`])
    return this.#weighted(choices)()
  }

  /**
   * An integer that raises on some rows: a conversion error in both engines,
   * or a division by zero (PostgreSQL raises; DuckDB answers Infinity). Run
   * on a row the principal cannot see, it would tell them that row exists.
   */
  #probe(texts: readonly Ref[]): string {
    const ref = this.#pick(texts)
    this.#mayFailOnVisibleRows = true
    return this.#chance(50)
      ? `CAST(CASE WHEN ${ref.sql} = ${this.#pick(ref.literals)} THEN 'x' ELSE '1' END AS INTEGER)`
      : `1 / (length(${ref.sql}) - ${this.#int(3, 12)})`
  }

  /** An integer that raises (in both engines) on rows no principal sees, and only there. */
  #hiddenProbe(refs: readonly Ref[]): string | undefined {
    const probed = refs.filter((r) => r.alias !== undefined && r.table !== undefined && r.table in HIDDEN_ROWS)
    if (probed.length === 0) return undefined
    const { alias, table } = this.#pick(probed) as Required<Ref>
    const rows = (HIDDEN_ROWS[table] as string).replace(/\b(tenant_id|region|action)\b/g, `${alias}.$1`)
    return this.#chance(50)
      ? `CAST(CASE WHEN ${rows} THEN 'x' ELSE '1' END AS INTEGER)`
      : `1 / CASE WHEN ${rows} THEN 0 ELSE 1 END`
  }

  #predicate(refs: readonly Ref[], depth: number): string {
    const ref = this.#pick(refs)
    const literal = () => this.#pick(ref.literals)
    const same = refs.filter((r) => r.type === ref.type && r !== ref)
    const op = () => this.#pick(['=', '<>', '<', '<=', '>', '>='])
    const texts = refs.filter((r) => r.type === 'text')
    const choices: [number, () => string][] = [
      [texts.length > 0 ? 1 : 0, () => `${this.#probe(texts)} ${op()} 1`],
      [3, () => `${this.#hiddenProbe(refs) ?? `length(${ref.sql}::VARCHAR)`} ${op()} 1`],
      [6, () => `${ref.sql} ${op()} ${literal()}`],
      [same.length > 0 ? 2 : 0, () => `${ref.sql} ${op()} ${this.#pick(same).sql}`],
      [2, () => `${ref.sql} ${this.#chance(30) ? 'NOT ' : ''}IN (${this.#some(ref.literals, 1, 3).join(', ')})`],
      [2, () => `${ref.sql} IS ${this.#chance(50) ? 'NOT ' : ''}NULL`],
      [1, () => `${ref.sql} BETWEEN ${literal()} AND ${literal()}`],
      [ref.type === 'text' ? 2 : 0, () => `${ref.sql} LIKE ${this.#pick(LIKE)}`],
      [2, () => `${this.#expression(ref.type, refs, 0)} ${op()} ${literal()}`],
      [depth > 0 ? 3 : 0, () => `(${this.#predicate(refs, depth - 1)} AND ${this.#predicate(refs, depth - 1)})`],
      [depth > 0 ? 3 : 0, () => `(${this.#predicate(refs, depth - 1)} OR ${this.#predicate(refs, depth - 1)})`],
      [depth > 0 ? 1 : 0, () => `NOT (${this.#predicate(refs, depth - 1)})`],
      [depth > 0 ? 2 : 0, () => this.#inSubquery(ref, depth - 1)],
      [depth > 0 ? 2 : 0, () => this.#exists(refs, depth - 1)],
    ]
    return this.#weighted(choices)()
  }

  /** `ref IN (SELECT …)` over a table with a column of its type. */
  #inSubquery(ref: Ref, depth: number): string {
    const tables = DEMO_TABLE_MODELS.filter((t) => t.columns.some((c) => c.type === ref.type))
    const table = this.#pick(tables)
    const alias = this.#alias()
    const column = this.#pick(table.columns.filter((c) => c.type === ref.type))
    const where = this.#chance(60) ? ` WHERE ${this.#predicate(this.#refs(alias, table), depth)}` : ''
    return `${ref.sql} ${this.#chance(20) ? 'NOT ' : ''}IN (SELECT ${alias}.${ident(column.name)} FROM ${this.#tableName(table)} AS ${alias}${where})`
  }

  /** `EXISTS (…)` correlated with the outer row along a key, from either end of a join edge. */
  #exists(refs: readonly Ref[], depth: number): string {
    const body = this.#correlated(refs, depth)
    if (body === undefined) return `${this.#pick(refs).sql} IS NOT NULL`
    return `${this.#chance(20) ? 'NOT ' : ''}EXISTS (SELECT 1 ${body})`
  }

  /** `(SELECT count(*) …)`, correlated with the outer row where a key allows it. */
  #scalarSubquery(refs: readonly Ref[]): string {
    return `(SELECT count(*) ${this.#correlated(refs, 0) ?? `FROM orders AS ${this.#alias()}`})`
  }

  /** `FROM t WHERE t.k = outer.k [AND …]` for a table linked to one of `refs` by a join edge. */
  #correlated(refs: readonly Ref[], depth: number): string | undefined {
    const links = EDGES.flatMap(([from, fromColumn, to, toColumn]) =>
      refs.flatMap((r) => {
        if (r.table === from && r.column === fromColumn) return [[r, to, toColumn] as const]
        if (r.table === to && r.column === toColumn) return [[r, from, fromColumn] as const]
        return []
      }),
    )
    if (links.length === 0) return undefined
    const [outer, tableName, column] = this.#pick(links)
    const table = DEMO_TABLE_MODELS.find((t) => t.name === tableName) as TableModel
    const alias = this.#alias()
    const more = this.#chance(60) ? ` AND ${this.#predicate(this.#refs(alias, table), depth)}` : ''
    return `FROM ${this.#tableName(table)} AS ${alias} WHERE ${alias}.${column} = ${outer.sql}${more}`
  }
}

/** A random query over the demo warehouse; counterexamples print as the SQL. */
export const demoQuery: fc.Arbitrary<DemoQuery> = fc.gen().map((g) => new QueryWriter(g).query())
