import { z } from 'zod'

// A reference such as `port: ${PORT}` always resolves to a string, so numeric and boolean fields
// accept the plain spellings of their values. Anything else is left for the schema to refuse.
const INTEGER_TEXT = /^-?\d+$/

function integerFromText(value: unknown): unknown {
  return typeof value === 'string' && INTEGER_TEXT.test(value.trim()) ? Number(value) : value
}

function booleanFromText(value: unknown): unknown {
  if (value === 'true') return true
  if (value === 'false') return false
  return value
}

/** An integer in `[min, max]`, with one message for every way it can be wrong. */
export function integer(min: number, max?: number) {
  const expected =
    max === undefined ? `expected an integer of at least ${min}` : `expected an integer between ${min} and ${max}`
  const base = z.int({ error: expected }).min(min, { error: expected })
  return z.preprocess(integerFromText, max === undefined ? base : base.max(max, { error: expected }))
}

export function flag() {
  return z.preprocess(booleanFromText, z.boolean({ error: 'expected true or false' }))
}

export function text() {
  return z.string({ error: 'expected a non-empty string' }).min(1, { error: 'expected a non-empty string' })
}

/**
 * A top-level section: absent or empty (`server:` with every line commented out) means all defaults.
 * Only sections get this: an empty `client_secret:` must not quietly turn a client public.
 */
export function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.prefault({} as never))
}
