import { createHash, timingSafeEqual } from 'node:crypto'
import { randomBase62 } from '../../domain/ids.js'

/** `gk_<12-char id>_<32-char secret>`, base62 (SPEC §4.2). */
const API_KEY_SHAPE = /^gk_([0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/

export interface NewApiKey {
  readonly id: string
  readonly prefix: string
  /** The whole key: shown once, never stored. */
  readonly key: string
  readonly secretHash: string
}

export function generateApiKey(): NewApiKey {
  const id = randomBase62(12)
  const secret = randomBase62(32)
  return { id, prefix: `gk_${id}`, key: `gk_${id}_${secret}`, secretHash: hashSecret(secret) }
}

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith('gk_')
}

export function parseApiKey(credential: string): { id: string; secret: string } | undefined {
  const match = API_KEY_SHAPE.exec(credential)
  return match === null ? undefined : { id: match[1] as string, secret: match[2] as string }
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Constant-time: the comparison takes as long whichever byte differs. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex')
  const expected = Buffer.from(storedHash, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
