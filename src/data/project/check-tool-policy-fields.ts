import type { ToolFileDefinition, ProjectFile } from '../../config/project-file-schema.js'
import { sensitiveFields } from '../../config/sensitive-fields.js'
import type { ColumnInfo } from '../engine.js'

/**
 * `apply`'s check of the fields a tool's output policies name (SPEC §6): each
 * must be a column the tool returns (`returned`, from `probeToolSql`) or a
 * field declared `sensitive: true` on its connection, since a misspelt field
 * would leave the real column unmasked.
 */
export function checkToolPolicyFields(
  project: ProjectFile,
  tool: ToolFileDefinition,
  at: string,
  returned: readonly ColumnInfo[],
  issue: (path: string, message: string) => void,
): void {
  const named = (tool.policies?.output ?? []).flatMap((policy, j) =>
    (policy.fields ?? []).map((field, k) => ({ field, path: `${at}.policies.output[${j}].fields[${k}]` })),
  )
  if (named.length === 0) return
  const columns = returned.map((c) => c.name.toLowerCase())
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
