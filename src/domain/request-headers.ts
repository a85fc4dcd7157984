/**
 * Headers no allowlist can expose to SQL (SPEC §5 `get_request_header`):
 * credentials (`Authorization`, `Cookie`, `Proxy-Authorization`) and what
 * proxies write about the client (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`),
 * which a client can forge when no proxy strips them. ASCII case folding
 * only, so no other letter can turn into one of these names. Shared by the
 * config check (`server.sql_request_headers`) and the SQL rewrite.
 */
export function isForbiddenHeader(name: string): boolean {
  const header = name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
  return (
    ['authorization', 'cookie', 'forwarded', 'x-real-ip'].includes(header) ||
    header.startsWith('proxy-') ||
    header.startsWith('x-forwarded-')
  )
}
