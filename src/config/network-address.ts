import { isIP } from 'node:net'

/**
 * Loopback hosts as a URL's `hostname` spells them: `localhost`, 127.0.0.0/8 and `[::1]`.
 * These are the only hosts where plain http is tolerated (OAuth 2.1 §1.5, RFC 8252 §7.3).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/** An IP address, or a CIDR block such as `10.0.0.0/8` or `fd00::/8`. */
export function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/')
  if (slash === -1) return isIP(value) !== 0
  const version = isIP(value.slice(0, slash))
  const prefix = value.slice(slash + 1)
  if (version === 0 || !/^\d{1,3}$/.test(prefix)) return false
  return Number(prefix) <= (version === 4 ? 32 : 128)
}

/** `URL.parse` arrived in Node 22; the machines run Node 20. */
export function parseUrl(value: string): URL | undefined {
  return URL.canParse(value) ? new URL(value) : undefined
}
