import { decodeProtectedHeader } from 'jose'

/** Compact JWS: three base64url parts, none empty (an unsecured `alg: none` JWT has an empty signature). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential)
}

/**
 * The header `typ` of a JWT, read without verifying anything: it only picks the
 * verifier, which checks the signature and the `typ` again. Compared the way
 * RFC 7515 §4.1.9 allows: case-insensitively, `application/` optional.
 */
export function jwtTypeOf(credential: string): string | undefined {
  try {
    const typ = decodeProtectedHeader(credential).typ
    return typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : undefined
  } catch {
    return undefined
  }
}
