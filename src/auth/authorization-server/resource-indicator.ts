/** The canonical MCP resource (SPEC §3.1): `public_url` + `/mcp`. */
export function canonicalResource(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/mcp`
}

/**
 * Whether a `resource` names this server's MCP endpoint (RFC 8707, SPEC §4.1):
 * scheme and host compare case-insensitively, a trailing slash is ignored,
 * and nothing else may differ (no query, no fragment, no other path or port).
 */
export function isThisResource(indicator: string, canonical: string): boolean {
  const given = URL.parse(indicator)
  const expected = URL.parse(canonical)
  if (given === null || expected === null) return false
  if (given.search !== '' || given.hash !== '' || indicator.includes('#') || given.username !== '') return false
  const path = (url: URL) => url.pathname.replace(/\/+$/, '')
  // URL parsing lower-cases scheme and host and drops a default port.
  return given.protocol === expected.protocol && given.host === expected.host && path(given) === path(expected)
}
