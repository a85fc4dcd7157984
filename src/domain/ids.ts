import { randomBytes } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * A uniformly random base62 string. Rejection sampling keeps every character
 * equally likely (a plain `byte % 62` would favour the first eight).
 */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

export const ID_PREFIXES = ['org', 'usr', 'prj', 'ten', 'key', 'mbr', 'sq'] as const
export type IdPrefix = (typeof ID_PREFIXES)[number]

export type OrgId = `org_${string}`
export type UserId = `usr_${string}`
export type ProjectId = `prj_${string}`
export type TenantId = `ten_${string}`

export function newId<P extends IdPrefix>(prefix: P): `${P}_${string}` {
  return `${prefix}_${randomBase62(16)}`
}

export function hasPrefix<P extends IdPrefix>(value: string, prefix: P): value is `${P}_${string}` {
  return value.startsWith(`${prefix}_`) && /^[0-9A-Za-z]+$/.test(value.slice(prefix.length + 1))
}
