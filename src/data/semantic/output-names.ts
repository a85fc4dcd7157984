import { fieldName } from './field-reference.js'
import type { DomainField } from './field-reference.js'

/**
 * The result's column names: each field's name (`order_date_month` for a time
 * bucket), prefixed with its dataset where two selected fields share a name,
 * then numbered if still taken. Compared without case, as DuckDB does.
 */
export function outputNames(fields: readonly DomainField[]): string[] {
  const plain = fields.map((f) =>
    f.kind === 'dimension' && f.granularity !== undefined ? `${fieldName(f)}_${f.granularity}` : fieldName(f),
  )
  const uses = new Map<string, number>()
  for (const name of plain) uses.set(name.toLowerCase(), (uses.get(name.toLowerCase()) ?? 0) + 1)
  const taken = new Set<string>()
  return fields.map((field, i) => {
    const name = plain[i] as string
    const wanted = (uses.get(name.toLowerCase()) ?? 0) > 1 ? `${field.dataset.name}_${name}` : name
    let unique = wanted
    for (let n = 2; taken.has(unique.toLowerCase()); n++) unique = `${wanted}_${n}`
    taken.add(unique.toLowerCase())
    return unique
  })
}
