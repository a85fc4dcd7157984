import type {
  DatasetDefinition,
  DimensionDefinition,
  DomainDefinition,
  MeasureDefinition,
} from '../../config/project-file-schema.js'
import { InputError } from '../../domain/errors.js'
import { TIME_GRANULARITIES } from './semantic-query.js'
import type { TimeGranularity } from './semantic-query.js'

export interface DimensionField {
  readonly kind: 'dimension'
  readonly dataset: DatasetDefinition
  readonly dimension: DimensionDefinition
  readonly granularity: TimeGranularity | undefined
}

export interface MeasureField {
  readonly kind: 'measure'
  readonly dataset: DatasetDefinition
  readonly measure: MeasureDefinition
}

export type DomainField = DimensionField | MeasureField
type FieldKind = DomainField['kind']

/** `name`, `dataset.name`, either with `:granularity`. */
const REFERENCE =
  /^(?:(?<dataset>[A-Za-z][A-Za-z0-9_]*)\.)?(?<name>[A-Za-z][A-Za-z0-9_]*)(?::(?<granularity>[A-Za-z]+))?$/

/** Resolves what an agent typed to one field of the domain, or says what it could have typed instead. */
export function resolveField(
  domain: DomainDefinition,
  reference: string,
  kinds: readonly FieldKind[],
  path: string,
): DomainField {
  const parts = REFERENCE.exec(reference)?.groups as
    { dataset?: string; name: string; granularity?: string } | undefined
  const what = kinds.length === 1 ? kinds[0] : 'field'
  if (parts === undefined) {
    throw new InputError(
      `${capitalize(what)} reference "${reference}" is not valid; expected name or dataset.name, ` +
        'and for a time dimension optionally a granularity such as order_date:month',
      path,
    )
  }
  const { dataset: datasetName, name, granularity } = parts
  const datasets = datasetName === undefined ? domain.datasets : domain.datasets.filter((d) => d.name === datasetName)
  if (datasets.length === 0) {
    throw new InputError(
      `Unknown dataset "${datasetName}" in "${reference}"; datasets of domain "${domain.name}": ` +
        domain.datasets.map((d) => d.name).join(', '),
      path,
    )
  }
  const candidates = fieldsOf(datasets, kinds).filter((f) => fieldName(f) === name)
  if (candidates.length === 0) {
    const known = kinds.map((k) => `known ${k}s: ${listOrNone(referenceNames(fieldsOf(domain.datasets, [k])))}`)
    throw new InputError(`Unknown ${what} "${reference}" in domain "${domain.name}"; ${known.join('; ')}`, path)
  }
  if (candidates.length > 1) {
    const qualified = candidates.map((f) => `${f.dataset.name}.${name}`)
    throw new InputError(
      `${capitalize(what)} "${reference}" is ambiguous in domain "${domain.name}"; ` +
        `qualify it as one of ${[...new Set(qualified)].join(', ')}`,
      path,
    )
  }
  const field = candidates[0] as DomainField
  return granularity === undefined ? field : withGranularity(field, granularity, path)
}

function withGranularity(field: DomainField, granularity: string, path: string): DimensionField {
  if (field.kind === 'measure') {
    throw new InputError(
      `Measure "${field.measure.name}" does not take a granularity; only time dimensions do, such as order_date:month`,
      path,
    )
  }
  if (field.dimension.type !== 'time') {
    throw new InputError(
      `Dimension "${field.dimension.name}" is of type ${field.dimension.type}, not time, ` +
        `so it does not take a granularity (":${granularity}")`,
      path,
    )
  }
  if (!(TIME_GRANULARITIES as readonly string[]).includes(granularity)) {
    throw new InputError(
      `Granularity "${granularity}" is not supported; expected one of ${TIME_GRANULARITIES.join(', ')}`,
      path,
    )
  }
  return { ...field, granularity: granularity as TimeGranularity }
}

function fieldsOf(datasets: readonly DatasetDefinition[], kinds: readonly FieldKind[]): DomainField[] {
  return datasets.flatMap((dataset) => [
    ...(kinds.includes('dimension')
      ? dataset.dimensions.map((dimension): DomainField => ({
          kind: 'dimension',
          dataset,
          dimension,
          granularity: undefined,
        }))
      : []),
    ...(kinds.includes('measure')
      ? dataset.measures.map((measure): DomainField => ({ kind: 'measure', dataset, measure }))
      : []),
  ])
}

export function fieldName(field: DomainField): string {
  return field.kind === 'dimension' ? field.dimension.name : field.measure.name
}

/** The shortest reference that names each field: `name`, or `dataset.name` where the name is in several datasets. */
function referenceNames(fields: readonly DomainField[]): string[] {
  const datasets = new Map<string, Set<string>>()
  for (const f of fields) datasets.set(fieldName(f), (datasets.get(fieldName(f)) ?? new Set()).add(f.dataset.name))
  const shared = (f: DomainField) => (datasets.get(fieldName(f))?.size ?? 0) > 1
  return [...new Set(fields.map((f) => (shared(f) ? `${f.dataset.name}.${fieldName(f)}` : fieldName(f))))]
}

/** The field's full reference, `dataset.name[:granularity]`, as errors name it. */
export function fieldLabel(field: DomainField): string {
  const granularity = field.kind === 'dimension' && field.granularity !== undefined ? `:${field.granularity}` : ''
  return `${field.dataset.name}.${fieldName(field)}${granularity}`
}

/** Same field, same granularity: how a selection, a filter and an order are matched. */
export function fieldKey(field: DomainField): string {
  return `${field.kind}:${fieldLabel(field)}`
}

function listOrNone(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.join(', ')
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
