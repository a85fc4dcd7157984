import type { TableInfo } from './engine.js'

/** The tables `name` can mean: `schema.table` exactly, or a bare `table` in any schema (case-insensitive). */
export function tablesNamed(tables: readonly TableInfo[], name: string): TableInfo[] {
  const wanted = name.toLowerCase()
  return tables.filter((t) =>
    wanted.includes('.') ? `${t.schema}.${t.name}`.toLowerCase() === wanted : t.name.toLowerCase() === wanted,
  )
}
