import { z } from 'zod'
import { authSchema } from './auth-config-schema.js'
import { integer, section, text } from './config-fields.js'
import type { DeepReadonly } from './deep-freeze.js'
import { isIpOrCidr, isLoopbackHost, parseUrl } from './network-address.js'
import { isForbiddenHeader } from '../domain/request-headers.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

function publicUrlProblem(value: string): string | undefined {
  const url = parseUrl(value)
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return 'expected an http(s) URL such as https://gatehouse.example.com'
  }
  // It is the OAuth issuer (RFC 8414 §2): no query or fragment, and credentials have no place in it.
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return 'expected a URL without query, fragment or credentials'
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    // OAuth 2.1 and the MCP authorization spec require TLS everywhere but loopback.
    return (
      'https is required unless the host is loopback (localhost, 127.0.0.0/8, ::1); ' +
      'behind a TLS-terminating proxy use https:// and list the proxy in trust_proxy'
    )
  }
  return undefined
}

const publicUrl = text().superRefine((value, ctx) => {
  const problem = publicUrlProblem(value)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
})

const origin = text()
  .refine(
    (value) => {
      const url = parseUrl(value)
      return (
        url !== undefined &&
        (url.protocol === 'https:' || url.protocol === 'http:') &&
        url.pathname === '/' &&
        url.search === '' &&
        url.hash === '' &&
        url.username === '' &&
        !value.endsWith('?') &&
        !value.endsWith('#')
      )
    },
    { error: 'expected an origin such as https://app.example.com (scheme, host and port only)' },
  )
  // Browsers send Origin in serialized form (lower-case host, no default port), so compare against that.
  .transform((value) => new URL(value).origin)

const proxyAddress = text().refine(isIpOrCidr, { error: 'expected an IP address or a CIDR such as 10.0.0.0/8' })

const pem = (what: string) =>
  text().refine((value) => value.includes('-----BEGIN '), {
    error: `expected the PEM text of the ${what}; write file:/path/to/file.pem to read it from a file`,
  })

const sqlRequestHeader = text()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name' })
  .refine((name) => !isForbiddenHeader(name), {
    error:
      'credential and proxy headers (Authorization, Cookie, Proxy-*, Forwarded, X-Forwarded-*, X-Real-IP) cannot be read from SQL',
  })
  .transform((name) => name.toLowerCase())

const serverSchema = z
  .strictObject({
    host: text().default('127.0.0.1'),
    port: integer(0, 65535).default(8000),
    public_url: publicUrl.optional(),
    trust_proxy: z
      .union([z.literal(false), z.array(proxyAddress)], {
        error: 'expected false or a list of proxy IP addresses/CIDRs',
      })
      .default(false),
    allowed_origins: z.array(origin).default([]),
    tls: z.strictObject({ cert: pem('certificate'), key: pem('private key') }).optional(),
    max_body_bytes: integer(1).default(1_048_576),
    workers: integer(1).default(1),
    /** Request headers SQL may read through `get_request_header(name)` (SPEC §5); credentials and proxy headers never. */
    sql_request_headers: z.array(sqlRequestHeader).default([]),
  })
  .transform(({ public_url, ...server }) => ({
    ...server,
    // The canonical MCP resource is public_url + "/mcp"; a trailing slash would double it.
    public_url: (public_url ?? `http://localhost:${server.port}`).replace(/\/+$/, ''),
  }))

const STORE_URL = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/

const storeSchema = z.strictObject({
  url: text()
    .regex(STORE_URL, { error: 'expected sqlite:PATH, sqlite::memory: or postgres://user@host/db' })
    .default('sqlite:./.gatehouse/state.db'),
})

const auditSchema = z.strictObject({
  retention_days: integer(1).default(90),
  batch_size: integer(1).default(256),
  flush_interval_ms: integer(1).default(200),
})

const limitsSchema = z.strictObject({
  max_rows: integer(1).default(10_000),
  statement_timeout_ms: integer(1).default(15_000),
})

const loggingSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
})

/** The whole of `gatehouse.yaml` (SPEC §3.1). Every section is optional: an empty file is a valid config. */
export const gatehouseConfigSchema = z.strictObject({
  server: section(serverSchema),
  store: section(storeSchema),
  auth: section(authSchema),
  audit: section(auditSchema),
  limits: section(limitsSchema),
  logging: section(loggingSchema),
})

/** A loaded config is deep-frozen; the types say so. */
export type GatehouseConfig = DeepReadonly<z.infer<typeof gatehouseConfigSchema>>
export type ServerConfig = GatehouseConfig['server']
export type StoreConfig = GatehouseConfig['store']
export type AuthConfig = GatehouseConfig['auth']
export type ProviderConfig = AuthConfig['providers'][number]
export type StaticClientConfig = AuthConfig['clients'][number]
export type AuditConfig = GatehouseConfig['audit']
export type LimitsConfig = GatehouseConfig['limits']
export type LoggingConfig = GatehouseConfig['logging']
export type LogLevel = (typeof LOG_LEVELS)[number]
export type ProviderType = ProviderConfig['type']
