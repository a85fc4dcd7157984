/**
 * Headers of every HTML page Gatehouse serves: never cached, never framed
 * (consent and disconnect buttons must not be clickjacked), no referrer, no
 * script. No `form-action`: browsers apply it to the redirects back to an
 * OAuth client, whose redirect URI may use any scheme.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}
