import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { GatehouseError } from '../../domain/errors.js'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
const SECRET_BYTES = 32
const BASE64URL = /^[A-Za-z0-9_-]*$/

/** A sealed value that cannot be opened: altered, truncated, or sealed with a key this server no longer has. */
export class SealedTokenError extends GatehouseError<'INTERNAL'> {
  override readonly name = 'SealedTokenError'
  constructor(detail: string) {
    super('INTERNAL', 'A stored upstream token could not be unsealed', { detail })
  }
}

function deriveKey(secret: Uint8Array): Buffer {
  if (secret.byteLength !== SECRET_BYTES) {
    throw new GatehouseError('CONFIG_INVALID', `The token sealing secret must be ${SECRET_BYTES} bytes`)
  }
  // The server secret may serve other purposes; HKDF gives this one its own key (RFC 5869 §3.2, `info`).
  return Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), `gatehouse upstream token ${VERSION}`, 32))
}

function decode(part: string | undefined, bytes?: number): Buffer | undefined {
  if (part === undefined || !BASE64URL.test(part)) return undefined
  const out = Buffer.from(part, 'base64url')
  return bytes === undefined || out.byteLength === bytes ? out : undefined
}

/**
 * Seals upstream tokens at rest with AES-256-GCM (a random 96-bit IV per
 * value, NIST SP 800-38D §8.2.2). The text is `v1.<iv>.<ciphertext>.<tag>` in
 * base64url, so the scheme can change later. Keys rotate by passing the old
 * secrets as `previous`: values sealed with them still open, new ones use the
 * current secret. `context` is bound as associated data, so a sealed value
 * copied to another user's row does not open there.
 */
export class TokenSealer {
  readonly #keys: readonly Buffer[]

  constructor(secret: Uint8Array, options: { readonly previous?: readonly Uint8Array[] } = {}) {
    this.#keys = [secret, ...(options.previous ?? [])].map(deriveKey)
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0] as Buffer, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(`${VERSION}\0${context}`, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'))
    return [VERSION, ...parts].join('.')
  }

  unseal(sealed: string, context: string): string {
    const [version, ivText, ciphertextText, tagText, ...rest] = sealed.split('.')
    if (version !== VERSION) throw new SealedTokenError(`unknown sealing version ${JSON.stringify(version)}`)
    const iv = decode(ivText, IV_BYTES)
    const ciphertext = decode(ciphertextText)
    const tag = decode(tagText, TAG_BYTES)
    if (iv === undefined || ciphertext === undefined || tag === undefined || rest.length > 0) {
      throw new SealedTokenError('malformed sealed value')
    }
    for (const key of this.#keys) {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(`${VERSION}\0${context}`, 'utf8'))
      decipher.setAuthTag(tag)
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
      } catch {
        // Not this key (or altered); GCM's tag says which, so the next key is tried.
      }
    }
    throw new SealedTokenError('authentication failed: the value was altered or sealed with an unknown key')
  }
}
