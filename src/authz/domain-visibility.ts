import type { DomainDefinition } from '../config/project-file-schema.js'
import type { ConnectionRestrictions } from '../data/sql/restrictions.js'
import { policyTableKey } from '../config/security-schema.js'
import type { CatalogView } from './access-policy.js'

/**
 * What of a domain exists for a principal (SPEC §5 SLS, standard mode): a
 * dataset over a hidden table is absent, and so are the dimensions on hidden
 * columns, the measures whose expression names one, and the joins through
 * either. `undefined` when no dataset is left: the domain is then hidden as a
 * whole. Datasets defined by `sql:` stay; their SQL is rewritten like any
 * other when the query runs. Pure.
 */
export function restrictDomain(
  domain: DomainDefinition,
  restrictions: ConnectionRestrictions,
  catalog: CatalogView,
): DomainDefinition | undefined {
  const hiddenColumns = new Map<string, ReadonlySet<string>>()
  const datasets = domain.datasets.flatMap((dataset) => {
    if (dataset.table === undefined) return [dataset]
    const key = policyTableKey(dataset.table, catalog.defaultSchema)
    const restriction = restrictions.tables.get(key)
    if (restriction === undefined) return []
    const visible = new Set(restriction.alternatives.flatMap((a) => a.columns))
    const all = catalog.tables.find((t) => `${t.schema}.${t.name}` === key)?.columns ?? []
    const hidden = new Set(all.filter((c) => !visible.has(c)))
    hiddenColumns.set(dataset.name, hidden)
    if (hidden.size === 0) return [dataset]
    return [
      {
        ...dataset,
        dimensions: dataset.dimensions.filter((d) => !hidden.has(d.column.toLowerCase())),
        measures: dataset.measures.filter(
          (m) => m.expression === undefined || !identifiers(m.expression).some((name) => hidden.has(name)),
        ),
      },
    ]
  })
  if (datasets.length === 0) return undefined
  const kept = new Set(datasets.map((d) => d.name))
  const usable = (side: string) => {
    const [dataset = '', column = ''] = side.split('.')
    return kept.has(dataset) && hiddenColumns.get(dataset)?.has(column.toLowerCase()) !== true
  }
  return { ...domain, datasets, joins: domain.joins.filter((j) => usable(j.from) && usable(j.to)) }
}

/**
 * The words of an expression outside its string literals, lower-cased: more
 * than its column names (function names, keywords), which only makes the
 * test stricter. A quoted identifier counts with its quotes removed.
 */
function identifiers(expression: string): string[] {
  const words: string[] = []
  const token = /'(?:[^']|'')*'|"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)/g
  for (const match of expression.matchAll(token)) {
    const word = match[1]?.replaceAll('""', '"') ?? match[2]
    if (word !== undefined) words.push(word.toLowerCase())
  }
  return words
}
