import { hash } from 'node:crypto'

/**
 * The hash chain of SPEC §8, without I/O. Each record's hash covers the previous
 * record's hash and every stored field, so editing, deleting or reordering a
 * record breaks the link to the record after it.
 */

/** The `prev_hash` of the first record of every chain. */
export const GENESIS_HASH = '0'.repeat(64)

/** The stored fields a record's hash covers (everything but the row id and the hashes). */
export interface ChainedFields {
  readonly chain_id: string
  readonly chain_seq: number
  readonly at: number
  readonly type: string
  readonly org_id: string | null
  readonly data: Readonly<Record<string, unknown>>
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, like `Array.prototype.sort`),
 * so equal values always serialize, and hash, the same way whatever order their
 * keys were built in. Otherwise it follows `JSON.stringify`: `undefined` members are
 * dropped, non-finite numbers become null, `toJSON` is honoured, a BigInt or a cycle throws.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, new Set())
  if (text === undefined) throw new TypeError(`${typeof value} has no JSON form`)
  return text
}

function serialize(input: unknown, ancestors: Set<object>): string | undefined {
  const value = hasToJson(input) ? input.toJSON() : input
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      throw new TypeError('A BigInt has no JSON form')
    case 'object':
      if (value === null) return 'null'
      if (ancestors.has(value)) throw new TypeError('A cyclic value has no JSON form')
      ancestors.add(value)
      try {
        return Array.isArray(value) ? serializeArray(value, ancestors) : serializeObject(value, ancestors)
      } finally {
        ancestors.delete(value)
      }
    default:
      return undefined
  }
}

function serializeArray(value: readonly unknown[], ancestors: Set<object>): string {
  return `[${value.map((item) => serialize(item, ancestors) ?? 'null').join(',')}]`
}

function serializeObject(value: object, ancestors: Set<object>): string {
  const members: string[] = []
  for (const key of Object.keys(value).sort()) {
    const text = serialize((value as Record<string, unknown>)[key], ancestors)
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`)
  }
  return `{${members.join(',')}}`
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function'
}

/**
 * Hex SHA-256 over the previous hash and the record's fields, `data` as the
 * exact JSON text stored. Hashing the stored text (not a re-serialisation of
 * it) means any edit to the row, down to a byte of whitespace, breaks the link,
 * and the writer serialises each record once, with plain `JSON.stringify`.
 */
export function hashStoredRecord(
  prevHash: string,
  fields: Omit<ChainedFields, 'data'> & { readonly data: string },
): string {
  // The scalar fields serialise the same way canonically and with JSON.stringify; this runs once per record.
  const text =
    `{"at":${JSON.stringify(fields.at)},"chain_id":${JSON.stringify(fields.chain_id)},` +
    `"chain_seq":${JSON.stringify(fields.chain_seq)},"data":${fields.data},` +
    `"org_id":${JSON.stringify(fields.org_id)},"type":${JSON.stringify(fields.type)}}`
  return hash('sha256', prevHash + text, 'hex')
}

/** The hash of a record whose `data` is still a value: serialised canonically first (tests, tools). */
export function hashRecord(prevHash: string, fields: ChainedFields): string {
  return hashStoredRecord(prevHash, { ...fields, data: canonicalJson(fields.data) })
}
