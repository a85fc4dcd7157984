import type { ProjectFile } from './project-file-schema.js'

/**
 * The fields of a connection declared `sensitive: true`: the name and the
 * column of every such dimension of a dataset on that connection, lower-cased
 * (SQL names are case-insensitive). A custom tool's `filter_sensitive_fields`
 * policy removes the result columns so named (SPEC §6).
 */
export function sensitiveFields(project: ProjectFile, connection: string): ReadonlySet<string> {
  const out = new Set<string>()
  for (const domain of project.domains) {
    for (const dataset of domain.datasets) {
      if (dataset.connection !== connection) continue
      for (const dimension of dataset.dimensions) {
        if (dimension.sensitive !== true) continue
        out.add(dimension.name.toLowerCase())
        out.add(dimension.column.toLowerCase())
      }
    }
  }
  return out
}
