import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { securitySchema } from '../../src/config/security-schema.js'
import { projectFileFromObject } from '../../src/config/load-project-file.js'
import { checkProjectSecurity } from '../../src/data/project/check-project-security.js'
import { openEngine } from '../../src/data/open-engine.js'
import type { Engine } from '../../src/data/engine.js'
import { DATA_ENGINES, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'

describe.each(DATA_ENGINES)('apply checks the security section against the %s catalog', (kind) => {
  let warehouse: Warehouse
  let engines: Map<string, Engine>
  beforeAll(async () => {
    warehouse = await demoWarehouse(kind, 200)
    const file = projectFileFromObject(warehouse.project, 'project.yaml', warehouse.dir, { reservedToolNames: [] })
    engines = new Map()
    for (const connection of file.connections) {
      engines.set(connection.name, await openEngine(connection, { env: warehouse.env, statementTimeoutMs: 5000 }))
    }
  }, 60_000)
  afterAll(async () => {
    for (const engine of engines.values()) await engine.close()
    await warehouse.close()
  })
  // The PostgreSQL copy of the warehouse keeps DuckDB's schema name.
  const schema = 'main'

  it('accepts tables, columns and row expressions that hold on the real tables', async () => {
    const security = securitySchema.parse({
      policies: [
        {
          name: 'tenant_scoped',
          connections: ['warehouse'],
          tables: { exclude: [`${schema}.audit_trail`] },
          columns: { [`${schema}.customers`]: { exclude: ['email', 'phone'] } },
          rows: [
            { name: 'by_tenant', match: { column: 'tenant_id' }, expression: 'tenant_id = {{ tenant_id }}' },
            {
              name: 'by_region',
              tables: [`${schema}.orders`],
              expression: 'region IN ({{ regions }}) AND amount >= 0',
            },
            { name: 'reference', tables: [`${schema}.products`, `${schema}.regions`], expression: 'true' },
          ],
        },
      ],
      assignments: [{ to: { tenant: '*' }, policy: 'tenant_scoped', params: { tenant_id: 't', regions: ['EMEA'] } }],
    })
    expect(await checkProjectSecurity(security, engines)).toEqual([])
  })

  it.each([
    [{ tables: { exclude: ['nope'] } }, 'security.policies[0].tables.exclude[0]', 'table nope does not exist'],
    [
      { columns: { [`${schema}.customers`]: { exclude: ['ssn'] } } },
      `security.policies[0].columns.${schema}.customers.exclude[0]`,
      'no column "ssn"',
    ],
    [
      { rows: [{ name: 'r', match: { column: 'org_key' }, expression: 'true' }] },
      'security.policies[0].rows[0].match.column',
      'org_key',
    ],
    [
      { rows: [{ name: 'r', tables: [`${schema}.orders`], expression: 'tenantid = {{ t }}' }] },
      'security.policies[0].rows[0].expression',
      'on ',
    ],
    [
      { rows: [{ name: 'r', tables: [`${schema}.orders`], expression: 'read_text(region) IS NULL' }] },
      'security.policies[0].rows[0].expression',
      'on ',
    ],
  ])('reports %j at its key path', async (policy, path, message) => {
    const security = securitySchema.parse({ policies: [{ name: 'p', connections: ['warehouse'], ...policy }] })
    const issues = await checkProjectSecurity(security, engines)
    expect(issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]),
    )
  })

  it('reads a bare table name in the default schema only, as a query reads it', async () => {
    // DuckDB's default schema is main; the PostgreSQL role's is public, where the warehouse has no table.
    const security = securitySchema.parse({
      policies: [{ name: 'p', connections: ['warehouse'], tables: { exclude: ['audit_trail'] } }],
    })
    const issues = await checkProjectSecurity(security, engines)
    if (kind === 'duckdb') expect(issues).toEqual([])
    else {
      expect(issues).toEqual([
        {
          path: 'security.policies[0].tables.exclude[0]',
          message: 'table audit_trail does not exist in warehouse (or cannot be read)',
        },
      ])
    }
  })
})
