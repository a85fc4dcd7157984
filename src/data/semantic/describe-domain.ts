import type { Aggregation, DimensionType, DomainDefinition } from '../../config/project-file-schema.js'
import { FILTER_OPERATORS, TIME_GRANULARITIES } from './semantic-query.js'
import type { FilterOperator, TimeGranularity } from './semantic-query.js'

export type DimensionDescription = {
  readonly name: string
  readonly qualified_name: string
  readonly type: DimensionType
  readonly label?: string
  readonly description?: string
}

export type MeasureDescription = {
  readonly name: string
  readonly qualified_name: string
  readonly aggregation: Aggregation
  readonly label?: string
  readonly description?: string
}

export type DatasetDescription = {
  readonly name: string
  readonly description?: string
  readonly dimensions: readonly DimensionDescription[]
  readonly measures: readonly MeasureDescription[]
}

export type DomainDescription = {
  readonly name: string
  readonly description?: string
  readonly datasets: readonly DatasetDescription[]
  readonly joins: readonly { readonly from: string; readonly to: string }[]
  readonly filter_operators: readonly FilterOperator[]
  readonly time_granularities: readonly TimeGranularity[]
}

/**
 * What an agent needs to write a `query` (the `describe_domain` tool): the
 * fields it may name and how. Tables, SQL, expressions and connections are the
 * project author's business and are left out. Absent texts are omitted rather
 * than null, so the JSON stays short.
 */
export function describeDomain(domain: DomainDefinition): DomainDescription {
  return {
    name: domain.name,
    ...texts({ description: domain.description }),
    datasets: domain.datasets.map((dataset) => ({
      name: dataset.name,
      ...texts({ description: dataset.description }),
      dimensions: dataset.dimensions.map((d) => ({
        name: d.name,
        qualified_name: `${dataset.name}.${d.name}`,
        type: d.type,
        ...texts({ label: d.label, description: d.description }),
      })),
      measures: dataset.measures.map((m) => ({
        name: m.name,
        qualified_name: `${dataset.name}.${m.name}`,
        aggregation: m.aggregation,
        ...texts({ label: m.label, description: m.description }),
      })),
    })),
    joins: domain.joins.map((j) => ({ from: j.from, to: j.to })),
    filter_operators: FILTER_OPERATORS,
    time_granularities: TIME_GRANULARITIES,
  }
}

function texts<K extends string>(values: Record<K, string | undefined>): Partial<Record<K, string>> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<Record<K, string>>
}
