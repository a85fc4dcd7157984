import { randomBase62 } from '../../domain/ids.js'
import { hashSecret } from '../api-keys/api-key-format.js'

/** `ps_<12-char id>_<32-char secret>`, base62, like an API key (SPEC §4.2, §4.3). */
const PROJECT_SECRET_SHAPE = /^(ps_[0-9A-Za-z]{12})_([0-9A-Za-z]{32})$/

export interface NewProjectSecret {
  /** `ps_<12-char id>`: the visible part, safe to show, log and audit. */
  readonly id: string
  /** The whole secret: shown once, never stored. */
  readonly secret: string
  readonly secretHash: string
}

export function generateProjectSecret(): NewProjectSecret {
  const id = `ps_${randomBase62(12)}`
  const secret = randomBase62(32)
  return { id, secret: `${id}_${secret}`, secretHash: hashSecret(secret) }
}

export function parseProjectSecret(value: string): { id: string; secret: string } | undefined {
  const match = PROJECT_SECRET_SHAPE.exec(value)
  return match === null ? undefined : { id: match[1] as string, secret: match[2] as string }
}

/** The visible `ps_<id>` of something that may be a project secret, for audit; never the secret part. */
export function projectSecretIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  return /^(ps_[0-9A-Za-z]{12})_/.exec(value)?.[1]
}
