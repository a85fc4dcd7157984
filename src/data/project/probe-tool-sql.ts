import type { ParameterDefinition, ToolFileDefinition } from '../../config/project-file-schema.js'
import type { ColumnInfo, Engine } from '../engine.js'
import type { ConnectionRestrictions, TableRestriction } from '../sql/restrictions.js'
import type { PositionalSql } from '../sql/named-parameters.js'

/**
 * `apply`'s check of a custom tool's SQL (SPEC §3.2): run by the engine with
 * no rows (`LIMIT 0`) through the path every call takes — the guard, the
 * rewrite over the whole catalog with the SQL functions of SPEC §5 standing
 * in as NULL — with a stand-in value for each parameter. Returns the columns
 * the tool returns; throws what a call would get (`SqlRefusedError`, …).
 */
export async function probeToolSql(
  engine: Engine,
  tool: ToolFileDefinition,
  positional: PositionalSql,
): Promise<readonly ColumnInfo[]> {
  const parameters = new Map(tool.parameters.map((p) => [p.name, p]))
  const restrictions = await wholeCatalog(engine)
  const params = positional.order.map((name) => standIn(parameters.get(name)))
  // The SQL as written first, so that what it gets wrong is said of it, not of the probe around it.
  await engine.rewrite(positional.sql, { restrictions, guard: { allowParameters: true }, params })
  const { result } = await engine.restrictedQuery(`SELECT * FROM (${positional.sql}) AS gatehouse_tool LIMIT 0`, {
    restrictions,
    guard: { allowParameters: true },
    maxRows: 1,
    params,
  })
  return result.columns
}

/** Every table and column of the connection, every row: what the tool's SQL may name at most. */
async function wholeCatalog(engine: Engine): Promise<ConnectionRestrictions> {
  const tables = new Map<string, TableRestriction>()
  for (const table of await engine.tables()) {
    const schema = table.schema.toLowerCase()
    const name = table.name.toLowerCase()
    tables.set(`${schema}.${name}`, {
      schema,
      table: name,
      alternatives: [
        { policy: 'apply', rules: [], columns: table.columns.map((c) => c.name.toLowerCase()), predicate: null },
      ],
    })
  }
  return {
    tables,
    session: {
      username: null,
      userEmail: null,
      userId: null,
      orgId: '',
      tenantId: null,
      externalToken: null,
      headers: new Map(),
    },
  }
}

/** A value of the parameter's type: with no rows read, only its type matters. */
function standIn(parameter: ParameterDefinition | undefined): unknown {
  if (parameter === undefined) return null
  if (parameter.default !== undefined) return parameter.default
  if (parameter.enum !== undefined) return parameter.enum[0]
  switch (parameter.type) {
    case 'integer':
    case 'number':
      return parameter.minimum ?? 0
    case 'boolean':
      return false
    case 'date':
      return '2000-01-01'
    case 'string':
      return ''
  }
}
