import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresEngine } from '../../src/data/engines/postgres/postgres-engine.js'
import { guardPostgresSelect } from '../../src/data/sql/postgres/postgres-guard.js'
import { parsePostgres } from '../../src/data/sql/postgres/postgres-parser.js'
import { rewritePostgresSql } from '../../src/data/sql/postgres/postgres-rewriter.js'
import type { ConnectionRestrictions } from '../../src/data/sql/restrictions.js'
import { SqlRefusedError } from '../../src/data/sql/sql-refused-error.js'
import { randomBase62 } from '../../src/domain/ids.js'
import { connect, createOracleObjects, dropOracleObjects, urlFor, withClient } from '../support/postgres-rls-oracle.js'
import { POSTGRES_RLS_CORPUS } from './rls-corpus/postgres.js'
import type { RlsCase } from './rls-corpus/postgres.js'
import {
  RLS_PROFILES,
  RLS_TENANTS,
  WORLD,
  oracleDdl,
  quote,
  restrictionsFor,
  warehouseDdl,
} from './rls-corpus/postgres-world.js'
import type { RlsProfile, WorldTable } from './rls-corpus/postgres-world.js'

/**
 * Issue 6's PostgreSQL oracle: every query of the corpus, for every principal
 * and two tenants, goes through Gatehouse (dev-mode guard, then the RLS
 * rewrite) on the whole warehouse, and unchanged through PostgreSQL's own
 * row-level security on a copy where the principal's policies are RLS
 * policies and hidden columns are left out by views. The answers must be the
 * same multiset with the same columns, or Gatehouse must refuse as labelled.
 */

type Outcome =
  | { readonly kind: 'rows'; readonly columns: readonly string[]; readonly rows: readonly string[] }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'error'; readonly code: string; readonly message: string }

interface Side {
  readonly database: string
  readonly client: pg.Client
}

const suffix = randomBase62(8).toLowerCase()
const READER = `gh_rls_reader_${suffix}`
const ORACLE = `gh_rls_oracle_${suffix}`
const WAREHOUSE = `gh_rls_${suffix}`
const oracleDatabase = (profile: RlsProfile) => `gh_rls_${profile}_${suffix}`
const scratch = { roles: [READER, ORACLE], databases: [WAREHOUSE, ...RLS_PROFILES.map(oracleDatabase)] }

let gatehouse: Side
const oracles = new Map<RlsProfile, Side>()

beforeAll(async () => {
  await createOracleObjects(scratch)
  await withClient(urlFor(undefined, WAREHOUSE), async (db) => {
    for (const statement of warehouseDdl()) await db.query(statement)
    for (const table of WORLD) await insertRows(db, `${table.schema}.${quote(table.name)}`, table)
    await db.query(`GRANT USAGE ON SCHEMA public, sales TO ${READER}`)
    await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public, sales TO ${READER}`)
  })
  for (const profile of RLS_PROFILES) {
    await withClient(urlFor(undefined, oracleDatabase(profile)), async (db) => {
      for (const statement of oracleDdl(profile, ORACLE)) await db.query(statement)
      for (const table of WORLD) await insertRows(db, `base_${table.schema}.${quote(table.name)}`, table)
    })
  }
  gatehouse = { database: WAREHOUSE, client: await connect(urlFor(READER, WAREHOUSE)) }
  for (const profile of RLS_PROFILES) {
    const database = oracleDatabase(profile)
    oracles.set(profile, { database, client: await connect(urlFor(ORACLE, database)) })
  }
})

afterAll(async () => {
  await gatehouse?.client.end()
  for (const oracle of oracles.values()) await oracle.client.end()
  await dropOracleObjects(scratch)
})

describe('the PostgreSQL RLS oracle', () => {
  it.each([
    ['Gatehouse’s reader', READER, () => WAREHOUSE],
    ['the oracle', ORACLE, () => oracleDatabase('tenant')],
  ])('connects %s as a role that is not superuser, has no BYPASSRLS and owns nothing', async (_, role, database) => {
    await using engine = PostgresEngine.open(urlFor(role, database()), { statementTimeoutMs: 5_000 })
    expect(await engine.check()).toEqual([])
  })

  it.each(RLS_TENANTS)('shows tenant %i only its own rows', async (tenant) => {
    const outcome = await run(oracles.get('tenant') as Side, 'SELECT DISTINCT tenant_id FROM orders', [], tenant)
    expect(outcome).toEqual({ kind: 'rows', columns: ['tenant_id'], rows: [JSON.stringify([String(tenant)])] })
  })
})

describe.each(RLS_PROFILES)('PostgreSQL row-level security by rewriting, as a %s principal', (profile) => {
  it.each(POSTGRES_RLS_CORPUS.map((c) => ({ ...c, outcome: expected(c, profile) })))(
    '$outcome: $label',
    async ({ sql, outcome }) => {
      const oracle = oracles.get(profile) as Side
      for (const tenant of RLS_TENANTS) {
        const ours = await throughGatehouse(sql, restrictionsFor(profile, tenant))
        if (outcome === 'answer') {
          const theirs = await run(oracle, sql.replaceAll('__DB__', oracle.database), [], tenant)
          expect(theirs.kind, `the oracle answers for tenant ${tenant}`).toBe('rows')
          expect(ours, `tenant ${tenant}`).toEqual(theirs)
        } else {
          expect(ours.kind, `Gatehouse refuses for tenant ${tenant}`).not.toBe('rows')
          // An error PostgreSQL raises on the rewritten query is the one it raises for a missing name.
          if (ours.kind === 'error') {
            expect(await run(oracle, sql, [], tenant), `tenant ${tenant}`).toEqual(ours)
          }
        }
      }
    },
  )
})

describe('two policies on one table', () => {
  it.each(RLS_TENANTS)(
    'show tenant %i a column of one policy only on the rows that policy admits, NULL on the others',
    async (tenant) => {
      const sql = 'SELECT tenant_id, count(*) AS n, count(email) AS emails FROM customers GROUP BY tenant_id'
      const ours = await throughGatehouse(sql, restrictionsFor('two_policies', tenant))
      expect(ours).toEqual(await run(oracles.get('two_policies') as Side, sql, [], tenant))
      const rows = ours.kind === 'rows' ? ours.rows.map((r) => JSON.parse(r) as string[]) : []
      // Other tenants' French customers are there (the second policy), never with an email (the first one's column).
      expect(rows.filter(([t]) => t !== String(tenant)).map(([, , emails]) => emails)).toEqual(['0', '0'])
      expect(Number(rows.find(([t]) => t === String(tenant))?.[2])).toBeGreaterThan(0)
    },
  )
})

describe('the OFFSET 0 fence', () => {
  // PostgreSQL evaluates a scan's conditions cheapest first: a row rule costlier than the probe comes second unless fenced.
  const costly: ConnectionRestrictions = {
    tables: new Map([
      [
        'public.orders',
        {
          schema: 'public',
          table: 'orders',
          alternatives: [
            {
              policy: 'p',
              rules: ['costly'],
              columns: ['id', 'tenant_id', 'status'],
              predicate: {
                sql: 'tenant_id = $1 OR lower(status) = $2 OR lower(status) = $3',
                values: [1, 'archived', 'deleted'],
              },
            },
          ],
        },
      ],
    ]),
  }
  const probe = 'SELECT count(*) FROM orders WHERE 1 / (tenant_id - 2) = -1'

  it('keeps an error-based probe off hidden rows', async () => {
    expect(await throughGatehouse(probe, costly)).toEqual({ kind: 'rows', columns: ['count'], rows: ['["30"]'] })
  })

  it('is what keeps it off: without OFFSET 0 the same query raises division_by_zero on a hidden row', async () => {
    const rewritten = await rewritePostgresSql(probe, costly, { database: WAREHOUSE, defaultSchema: 'public' })
    expect(rewritten.sql).toContain(' OFFSET 0 ')
    const unfenced = await run(gatehouse, rewritten.sql.replace(' OFFSET 0 ', ' '), rewritten.params)
    expect(unfenced).toMatchObject({ kind: 'error', code: '22012' })
  })
})

function expected(c: RlsCase, profile: RlsProfile): 'answer' | 'refuse' {
  return typeof c.expect === 'string' ? c.expect : c.expect[profile]
}

async function throughGatehouse(sql: string, restrictions: ConnectionRestrictions): Promise<Outcome> {
  let rewritten
  try {
    const text = sql.replaceAll('__DB__', WAREHOUSE)
    const catalog = { database: WAREHOUSE, defaultSchema: 'public', tables: new Set(restrictions.tables.keys()) }
    guardPostgresSelect(await parsePostgres(text), catalog, { allowParameters: false })
    rewritten = await rewritePostgresSql(text, restrictions, {
      database: WAREHOUSE,
      defaultSchema: 'public',
    })
  } catch (error) {
    if (error instanceof SqlRefusedError) return { kind: 'refused', message: error.message }
    throw error
  }
  return run(gatehouse, rewritten.sql, rewritten.params)
}

/** One read-only query; every value as PostgreSQL's text, rows sorted so that equal multisets compare equal. */
async function run(side: Side, sql: string, params: readonly unknown[], tenant?: number): Promise<Outcome> {
  const { client } = side
  await client.query('BEGIN READ ONLY')
  try {
    if (tenant !== undefined) await client.query(`SELECT set_config('app.tenant', $1, true)`, [String(tenant)])
    const result = await client.query({ text: sql, values: [...params], rowMode: 'array' })
    return {
      kind: 'rows',
      columns: result.fields.map((f) => f.name),
      rows: (result.rows as unknown[][]).map((r) => JSON.stringify(r)).sort(),
    }
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    if (code === undefined) throw error
    return { kind: 'error', code, message }
  } finally {
    await client.query('ROLLBACK')
  }
}

async function insertRows(db: pg.Client, target: string, table: WorldTable): Promise<void> {
  const width = table.columns.length
  const tuples = table.rows.map((_, r) => `(${table.columns.map((_, c) => `$${r * width + c + 1}`).join(', ')})`)
  const names = table.columns.map(([c]) => quote(c)).join(', ')
  await db.query(`INSERT INTO ${target} (${names}) VALUES ${tuples.join(', ')}`, table.rows.flat())
}
