import { InputError } from '../../domain/errors.js'
import type { DomainField } from './field-reference.js'
import type { SemanticFilter } from './semantic-query.js'

export type Scalar = string | number | boolean

/** Most values an `in` list may bind: far below either engine's parameter limit. */
const MAX_LIST_VALUES = 1000

/** ISO 8601 date or date-time, which both engines cast to DATE, TIMESTAMP and TIMESTAMPTZ alike. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/

type ValueKind = 'string' | 'number' | 'boolean' | 'time' | 'number or string'

/**
 * The filter's value, checked against its operator and its field's type. The
 * request schema leaves `value` open, so nothing about its shape is trusted:
 * a value of the wrong type is refused here, by name, instead of failing in the
 * engine with an error that varies by engine.
 */
export function scalarValue(filter: SemanticFilter, field: DomainField, path: string): Scalar {
  return checkScalar(filter.value, filter, field, path)
}

export function listValue(filter: SemanticFilter, field: DomainField, path: string): Scalar[] {
  const value = filter.value
  if (!Array.isArray(value) || value.length === 0) {
    throw new InputError(`Filter on "${filter.field}" with op "${filter.op}" needs a non-empty array value`, path)
  }
  if (value.length > MAX_LIST_VALUES) {
    throw new InputError(
      `Filter on "${filter.field}" with op "${filter.op}" takes at most ${MAX_LIST_VALUES} values; got ${value.length}`,
      path,
    )
  }
  return value.map((item: unknown, i) => checkScalar(item, filter, field, `${path}[${i}]`))
}

export function rangeValue(filter: SemanticFilter, field: DomainField, path: string): [Scalar, Scalar] {
  const value = filter.value
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InputError(`Filter on "${filter.field}" with op "between" needs a [low, high] array value`, path)
  }
  return [checkScalar(value[0], filter, field, `${path}[0]`), checkScalar(value[1], filter, field, `${path}[1]`)]
}

/** `is_null` alone may omit its value: true (IS NULL) unless it says false. */
export function nullTestValue(filter: SemanticFilter, path: string): boolean {
  if (filter.value === undefined) return true
  if (typeof filter.value !== 'boolean') {
    throw new InputError(
      `Filter on "${filter.field}" with op "is_null" takes true (IS NULL) or false (IS NOT NULL) as value`,
      path,
    )
  }
  return filter.value
}

export function containsValue(filter: SemanticFilter, path: string): string {
  if (typeof filter.value !== 'string') {
    throw new InputError(`Filter on "${filter.field}" with op "contains" needs a string value`, path)
  }
  return filter.value
}

function checkScalar(value: unknown, filter: SemanticFilter, field: DomainField, path: string): Scalar {
  const subject = `Filter on "${filter.field}" with op "${filter.op}"`
  if (value === undefined || value === null) {
    throw new InputError(`${subject} needs a value; to match missing values use op "is_null"`, path)
  }
  if (Array.isArray(value)) throw new InputError(`${subject} needs a single value, not an array`, path)
  const kind = valueKind(field)
  if (!isOfKind(value, kind)) {
    const expected =
      kind === 'time' ? 'a date or time in ISO 8601 text, such as "2026-01-31" or "2026-01-31T09:30:00Z"' : `a ${kind}`
    throw new InputError(`${subject} needs ${expected}; got ${describeValue(value)}`, path)
  }
  return value
}

/** What the field's values are: a dimension's declared type; a number for aggregates that only count or add. */
function valueKind(field: DomainField): ValueKind {
  if (field.kind === 'dimension') return field.dimension.type
  // min and max also apply to dates and text (the first order date, the last status).
  return field.measure.aggregation === 'min' || field.measure.aggregation === 'max' ? 'number or string' : 'number'
}

function isOfKind(value: unknown, kind: ValueKind): value is Scalar {
  const number = typeof value === 'number' && Number.isFinite(value)
  switch (kind) {
    case 'time':
      return typeof value === 'string' && ISO_TIME.test(value)
    case 'number':
      return number
    case 'number or string':
      return number || typeof value === 'string'
    case 'string':
    case 'boolean':
      return typeof value === kind
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return typeof value === 'object' ? 'an object' : typeof value
}
