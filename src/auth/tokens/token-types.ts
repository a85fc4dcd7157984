/**
 * The JWTs Gatehouse signs, told apart by their header `typ` (RFC 8725 §3.11):
 * each verifier accepts only its own, so a project token is never taken for an
 * OAuth access token (RFC 9068 `at+jwt`) or the other way round.
 */
export const TOKEN_TYPES = {
  project: 'gatehouse-project+jwt',
  access: 'at+jwt',
} as const

export type TokenType = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES]

/** The longest lifetime of any token Gatehouse signs (a project token's maximum `tokenExpiry`), in seconds. */
export const MAX_TOKEN_LIFETIME_S = 86_400
