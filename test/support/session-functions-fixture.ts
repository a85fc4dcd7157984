import type { ConnectionRestrictions, SessionValues } from '../../src/data/sql/restrictions.js'

/** The caller and the table that the engines' tests of SPEC §5's SQL functions share. */
export const SESSION: SessionValues = {
  username: 'ada',
  userEmail: 'ada@example.com',
  userId: 'u_1',
  orgId: 'org_1',
  tenantId: 't_1',
  headers: new Map([['x-region', 'EMEA']]),
}

/** `<schema>.orders`, columns id and owner, under one row rule: `tenant_id = $1` with 7. */
export const ordersTable = (schema: string): ConnectionRestrictions['tables'] =>
  new Map([
    [
      `${schema}.orders`,
      {
        schema,
        table: 'orders',
        alternatives: [
          { policy: 'p', rules: ['r'], columns: ['id', 'owner'], predicate: { sql: 'tenant_id = $1', values: [7] } },
        ],
      },
    ],
  ])
