import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ConnectionRestrictions, RowAlternative, SessionValues } from '../restrictions.js'
import { PostgresPlanCache } from './postgres-plan-cache.js'
import type { PostgresPlanInput } from './postgres-plan-cache.js'
import { parsePostgres } from './postgres-parser.js'
import { rewritePostgresSql } from './postgres-rewriter.js'

// Every plan starts with a parse: counting parses counts plans.
vi.mock('./postgres-parser.js', async (original) => {
  const actual = await original<{ parsePostgres: typeof parsePostgres }>()
  return { parsePostgres: vi.fn(actual.parsePostgres) }
})
const parses = vi.mocked(parsePostgres)

interface Principal {
  readonly tenant: number
  readonly regions?: readonly string[]
  readonly session?: SessionValues
}

function orders(tenant: number, changes: Partial<RowAlternative> = {}): RowAlternative {
  return {
    policy: 'tenant_scoped',
    rules: ['by_tenant'],
    columns: ['id', 'amount', 'tenant_id'],
    predicate: { sql: 'tenant_id = $1', values: [tenant] },
    ...changes,
  }
}

function restrictionsOf(principal: Principal, alternative = orders(principal.tenant)): ConnectionRestrictions {
  const regions = principal.regions ?? ['EU', 'APAC']
  const customers: RowAlternative = {
    policy: 'tenant_scoped',
    rules: ['by_region'],
    columns: ['id', 'name', 'region'],
    predicate: { sql: regions.map((_, i) => `region = $${i + 1}`).join(' OR '), values: regions },
  }
  return {
    tables: new Map([
      ['public.orders', { schema: 'public', table: 'orders', alternatives: [alternative] }],
      ['public.customers', { schema: 'public', table: 'customers', alternatives: [customers] }],
    ]),
    ...(principal.session === undefined ? {} : { session: principal.session }),
  }
}

function session(tenantId: string, changes: Partial<SessionValues> = {}): SessionValues {
  return {
    username: `user-of-${tenantId}`,
    userEmail: null,
    userId: null,
    orgId: 'org',
    tenantId,
    headers: new Map([['x-region', `region-of-${tenantId}`]]),
    ...changes,
  }
}

const base = { guard: { allowParameters: false }, database: 'analytics', defaultSchema: 'public' }
const input = (principal: Principal, changes: Partial<PostgresPlanInput> = {}): PostgresPlanInput => ({
  ...base,
  restrictions: restrictionsOf(principal),
  ...changes,
})

const JOIN = 'SELECT c.name, sum(o.amount) FROM orders o JOIN customers c ON c.id = o.id GROUP BY c.name'

describe('PostgresPlanCache', () => {
  let plans: PostgresPlanCache
  beforeEach(() => {
    plans = new PostgresPlanCache()
    parses.mockClear()
  })

  it('serves two principals whose restrictions differ only in values from one plan, each with its own values', async () => {
    const globex = await plans.rewrite(JOIN, input({ tenant: 7, regions: ['EU', 'APAC'] }))
    const initech = await plans.rewrite(JOIN, input({ tenant: 8, regions: ['US', 'LATAM'] }))
    expect(parses).toHaveBeenCalledTimes(1)
    expect(initech.sql).toBe(globex.sql)
    expect(globex.params).toEqual([7, 'EU', 'APAC'])
    expect(initech.params).toEqual([8, 'US', 'LATAM'])
    expect(initech.appliedRules).toEqual(['tenant_scoped.by_tenant', 'tenant_scoped.by_region'])
  })

  it('gives what the uncached rewrite gives, for every principal the plan serves', async () => {
    for (const principal of [{ tenant: 7 }, { tenant: 8, regions: ['US', 'NA'] }]) {
      const cached = await plans.rewrite(JOIN, input(principal))
      expect(cached).toEqual(await rewritePostgresSql(JOIN, restrictionsOf(principal), base))
    }
  })

  it('binds the query’s own parameters of each call first, then the rules’ values', async () => {
    const sql = 'SELECT id FROM orders WHERE amount > $1'
    const allow = { guard: { allowParameters: true } }
    const first = await plans.rewrite(sql, input({ tenant: 7 }, { ...allow, params: [100] }))
    const second = await plans.rewrite(sql, input({ tenant: 8 }, { ...allow, params: [200] }))
    expect(parses).toHaveBeenCalledTimes(1)
    expect(first.params).toEqual([100, 7])
    expect(second.params).toEqual([200, 8])
    expect(second.sql).toContain('tenant_id = $2')
  })

  it('binds each call’s session function values through the same plan', async () => {
    const sql = "SELECT get_tenant_id() AS t, get_request_header('X-Region') AS r, get_tenant_id() FROM orders"
    const a = await plans.rewrite(sql, input({ tenant: 7, session: session('globex') }))
    const b = await plans.rewrite(sql, input({ tenant: 8, session: session('initech', { headers: new Map() }) }))
    expect(parses).toHaveBeenCalledTimes(1)
    // In placeholder order: the select list's calls come before the rule of the table in FROM.
    expect(a.params).toEqual(['globex', 'region-of-globex', 7])
    // No such header: NULL, as the uncached rewrite binds it.
    expect(b.params).toEqual(['initech', null, 8])
    expect(b).toEqual(
      await rewritePostgresSql(
        sql,
        restrictionsOf({ tenant: 8, session: session('initech', { headers: new Map() }) }),
        base,
      ),
    )
  })

  const variant = (alternative: Partial<RowAlternative>) => ({
    restrictions: restrictionsOf({ tenant: 7 }, orders(7, alternative)),
  })
  it.each<[string, Partial<PostgresPlanInput>]>([
    ['another rule text', variant({ predicate: { sql: 'tenant_id = $1 AND amount > 0', values: [7] } })],
    ['another number of rule values', variant({ predicate: { sql: 'tenant_id IN ($1, $2)', values: [7, 8] } })],
    ['no row rule', variant({ predicate: null })],
    ['other columns', variant({ columns: ['id', 'amount'] })],
    ['another policy', variant({ policy: 'support' })],
    ['other rules', variant({ rules: ['by_tenant', 'by_region'] })],
    [
      'another visible table',
      { restrictions: { tables: new Map([...restrictionsOf({ tenant: 7 }).tables].slice(0, 1)) } },
    ],
    ['a session', { restrictions: restrictionsOf({ tenant: 7, session: session('globex') }) }],
    ['another default schema', { defaultSchema: 'sales' }],
    ['another database', { database: 'warehouse' }],
    ['placeholders allowed', { guard: { allowParameters: true } }],
  ])('plans again under %s', async (_, changes) => {
    await plans.rewrite('SELECT id FROM orders', input({ tenant: 7 }))
    await plans.rewrite('SELECT id FROM orders', input({ tenant: 7 }, changes)).catch(() => undefined)
    expect(parses).toHaveBeenCalledTimes(2)
  })

  it('plans again when the query has another number of its own parameters', async () => {
    const sql = 'SELECT id FROM orders WHERE amount > $1'
    const allow = { guard: { allowParameters: true } }
    await plans.rewrite(sql, input({ tenant: 7 }, { ...allow, params: [1] }))
    await expect(plans.rewrite(sql, input({ tenant: 7 }, { ...allow, params: [] }))).rejects.toMatchObject({
      code: 'SQL_REFUSED',
    })
    expect(parses).toHaveBeenCalledTimes(2)
  })

  it.each<[string, SessionValues | undefined]>([
    ['without a session', undefined],
    ['without the external token', session('globex')],
  ])('refuses a session function a plan was made for, %s', async (_, without) => {
    const sql = 'SELECT get_user_external_token() FROM orders'
    const token = await plans.rewrite(sql, input({ tenant: 7, session: session('globex', { externalToken: 'tok' }) }))
    expect(token.params).toEqual(['tok', 7])
    await expect(
      plans.rewrite(sql, input({ tenant: 7, ...(without === undefined ? {} : { session: without }) })),
    ).rejects.toMatchObject({ code: 'SQL_REFUSED', message: 'get_user_external_token() is not available here' })
  })

  it('plans a query longer than 20,000 characters every time', async () => {
    const sql = `SELECT id FROM orders WHERE ${Array.from({ length: 2000 }, (_, i) => `id <> ${i}`).join(' AND ')}`
    expect(sql.length).toBeGreaterThan(20_000)
    const first = await plans.rewrite(sql, input({ tenant: 7 }))
    const second = await plans.rewrite(sql, input({ tenant: 8 }))
    expect(parses).toHaveBeenCalledTimes(2)
    expect(second).toEqual({ ...first, params: [8] })
  })

  it('keeps no refusal: a refused query is checked again each time', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(plans.rewrite('SELECT * FROM salaries', input({ tenant: 7 }))).rejects.toMatchObject({
        code: 'SQL_REFUSED',
        message: 'Table salaries does not exist',
      })
    }
    expect(parses).toHaveBeenCalledTimes(2)
  })

  it('keeps the 1,000 plans used last', async () => {
    const query = (i: number) => `SELECT id FROM orders WHERE id = ${i}`
    for (let i = 0; i < 1000; i++) await plans.rewrite(query(i), input({ tenant: 7 }))
    await plans.rewrite(query(0), input({ tenant: 7 })) // used again: now the last to go
    await plans.rewrite(query(1000), input({ tenant: 7 })) // evicts query 1
    parses.mockClear()
    await plans.rewrite(query(0), input({ tenant: 7 }))
    expect(parses).not.toHaveBeenCalled()
    await plans.rewrite(query(1), input({ tenant: 7 }))
    expect(parses).toHaveBeenCalledTimes(1)
  })
})
