import type { DomainDefinition } from '../../config/project-file-schema.js'
import { InputError } from '../../domain/errors.js'
import { fieldKey, resolveField } from './field-reference.js'
import type { DomainField } from './field-reference.js'
import type { SemanticOrder } from './semantic-query.js'

/**
 * `ORDER BY` terms by select-list position. Without an order, a series reads
 * in time order and a ranking starts with its largest value, so that a `limit`
 * keeps the rows an agent most likely wants. Nulls sort last on both engines.
 */
export function orderTerms(
  domain: DomainDefinition,
  orderBy: readonly SemanticOrder[],
  selected: readonly DomainField[],
  selectedReferences: readonly string[],
  outputColumns: readonly string[],
): string[] {
  if (orderBy.length === 0) return defaultOrder(selected)
  const keys = selected.map(fieldKey)
  return orderBy.map((item, i) => {
    const path = `order_by[${i}]`
    const { field: reference, direction = 'asc' } = typeof item === 'string' ? { field: item } : item
    if (direction !== 'asc' && direction !== 'desc') {
      throw new InputError(
        `Direction "${String(direction)}" is not supported; expected asc or desc`,
        `${path}.direction`,
      )
    }
    // A selected field as written, or a result column's name (order_date_month): what an agent sees.
    const written = [selectedReferences.indexOf(reference), outputColumns.indexOf(reference)].find((i) => i >= 0)
    const position = written ?? keys.indexOf(fieldKey(resolveField(domain, reference, ['dimension', 'measure'], path)))
    if (position < 0) {
      throw new InputError(
        `Cannot order by "${reference}": ` +
          `order_by takes a selected dimension or measure (${selectedReferences.join(', ')})`,
        path,
      )
    }
    return term(position, direction)
  })
}

/**
 * The first time dimension, else the first measure (descending), else the first
 * dimension; then the other dimensions, so that ties come out the same way every time.
 */
function defaultOrder(selected: readonly DomainField[]): string[] {
  const time = selected.findIndex((f) => f.kind === 'dimension' && f.dimension.type === 'time')
  const measure = selected.findIndex((f) => f.kind === 'measure')
  const first = time >= 0 ? time : measure >= 0 ? measure : 0
  const rest = selected.flatMap((f, i) => (f.kind === 'dimension' && i !== first ? [term(i, 'asc')] : []))
  return [term(first, first === measure ? 'desc' : 'asc'), ...rest]
}

function term(index: number, direction: 'asc' | 'desc'): string {
  return `${index + 1} ${direction.toUpperCase()} NULLS LAST`
}
