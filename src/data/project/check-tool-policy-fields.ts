import type { ParameterDefinition, ToolFileDefinition, ProjectFile } from '../../config/project-file-schema.js'
import { sensitiveFields } from '../../config/sensitive-fields.js'
import type { Engine } from '../engine.js'
import type { PositionalSql } from '../sql/named-parameters.js'

/**
 * `apply`'s check of the fields a tool's output policies name (SPEC §6): each
 * must be a column the tool returns or a field declared `sensitive: true` on
 * its connection, since a misspelt field would leave the real column
 * unmasked. The columns come from the engine, running the tool's guarded SQL
 * with no rows (`LIMIT 0`) and a stand-in value for each parameter.
 */
export async function checkToolPolicyFields(
  engine: Engine,
  project: ProjectFile,
  tool: ToolFileDefinition,
  at: string,
  positional: PositionalSql,
  issue: (path: string, message: string) => void,
): Promise<void> {
  const named = (tool.policies?.output ?? []).flatMap((policy, j) =>
    (policy.fields ?? []).map((field, k) => ({ field, path: `${at}.policies.output[${j}].fields[${k}]` })),
  )
  if (named.length === 0) return
  const parameters = new Map(tool.parameters.map((p) => [p.name, p]))
  const probe = await engine.query(`SELECT * FROM (${positional.sql}) AS gatehouse_tool LIMIT 0`, {
    maxRows: 1,
    params: positional.order.map((name) => standIn(parameters.get(name))),
  })
  const columns = probe.columns.map((c) => c.name.toLowerCase())
  const sensitive = sensitiveFields(project, tool.connection)
  for (const { field, path } of named) {
    if (columns.includes(field.toLowerCase()) || sensitive.has(field.toLowerCase())) continue
    issue(
      path,
      `the tool returns no column "${field}" (it returns ${columns.join(', ')}), and no field of connection ` +
        `"${tool.connection}" by that name is declared sensitive: true`,
    )
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
