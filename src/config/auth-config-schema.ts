import { z } from 'zod'
import { flag, integer, text } from './config-fields.js'
import { isIpOrCidr, isLoopbackHost, parseUrl } from './network-address.js'

export const PROVIDER_TYPES = ['github', 'google', 'atlassian', 'salesforce', 'keycloak', 'oidc'] as const
export const MAPPED_ROLES = ['admin', 'member'] as const
export const CLIENT_SCOPES = [
  'mcp:read',
  'mcp:sql',
  'mcp:write',
  'openid',
  'profile',
  'email',
  'offline_access',
] as const

function isHttpUrl(value: string): boolean {
  const url = parseUrl(value)
  return url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:')
}

const httpUrl = text().refine(isHttpUrl, { error: 'expected an http(s) URL' })

// Provider ids appear in callback URLs and in stored identities, so they stay URL-safe.
const providerId = text().regex(/^[a-z0-9][a-z0-9_-]*$/i, {
  error: 'expected an id of letters, digits, "-" and "_" (it appears in the callback URL)',
})

const domainName = text()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, {
    error: 'expected a domain name such as example.com',
  })
  .transform((value) => value.toLowerCase())

const mappedRole = z.enum(MAPPED_ROLES, {
  // Owners hold the keys to the org; an identity provider's claim must never be able to mint one.
  error: (issue) =>
    issue.input === 'owner'
      ? 'a mapped role is never owner (make owners with the CLI); expected admin or member'
      : 'expected admin or member',
})

const claimsSchema = z.strictObject({
  groups: text().optional(),
  attributes: z.record(z.string(), text()).optional(),
  role: z.strictObject({ from: text(), map: z.record(z.string(), mappedRole) }).optional(),
})

const provisionSchema = z
  .strictObject({
    org: text(),
    allowed_domains: z.array(domainName).optional(),
    allowed_groups: z.array(text()).optional(),
  })
  .refine((p) => (p.allowed_domains?.length ?? 0) + (p.allowed_groups?.length ?? 0) > 0, {
    // Without a restriction, every account of the provider (every GitHub user) could sign up.
    error: 'expected allowed_domains and/or allowed_groups, so that not every account of the provider can sign up',
  })

export const providerSchema = z
  .strictObject({
    id: providerId,
    type: z.enum(PROVIDER_TYPES),
    client_id: text(),
    client_secret: text().optional(),
    issuer: httpUrl.optional(),
    server_url: httpUrl.optional(),
    realm: text().optional(),
    scope: text().optional(),
    authorization_endpoint: httpUrl.optional(),
    token_endpoint: httpUrl.optional(),
    userinfo_endpoint: httpUrl.optional(),
    api_url: httpUrl.optional(),
    claims: claimsSchema.optional(),
    provision: provisionSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'oidc' && p.issuer === undefined) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'an oidc provider needs an issuer URL' })
    }
    if (p.type === 'keycloak') {
      if (p.server_url === undefined) {
        ctx.addIssue({ code: 'custom', path: ['server_url'], message: 'a keycloak provider needs server_url' })
      }
      if (p.realm === undefined) {
        ctx.addIssue({ code: 'custom', path: ['realm'], message: 'a keycloak provider needs realm' })
      }
    } else {
      for (const key of ['server_url', 'realm'] as const) {
        if (p[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies only to keycloak providers` })
        }
      }
    }
  })

function isRedirectUri(value: string): boolean {
  const url = parseUrl(value)
  // RFC 6749 §3.1.2: no fragment. Plain http only on loopback (RFC 8252 §7.3); any other scheme
  // is a private-use scheme of a native app (RFC 8252 §7.1).
  if (url === undefined || url.hash !== '' || value.includes('#')) return false
  return url.protocol !== 'http:' || isLoopbackHost(url.hostname)
}

const redirectUri = text().refine(isRedirectUri, {
  error:
    'expected an absolute redirect URI without a fragment: https://…, http:// on a loopback host, ' +
    'or a private-use scheme such as com.example.app:/callback',
})

export const staticClientSchema = z.strictObject({
  // An https client_id is a Client ID Metadata Document; a static client must not shadow one.
  client_id: text().refine((id) => !/^https?:\/\//i.test(id), {
    error: 'expected a plain client id; URLs are reserved for Client ID Metadata Documents',
  }),
  client_secret: text().optional(),
  name: text(),
  redirect_uris: z.array(redirectUri).min(1, { error: 'expected at least one redirect URI' }),
  scopes: z.array(z.enum(CLIENT_SCOPES)).optional(),
})

function unique<T>(key: (item: T) => string, field: string, what: string) {
  return (items: readonly T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>()
    items.forEach((item, index) => {
      const value = key(item)
      const first = seen.get(value)
      if (first === undefined) seen.set(value, index)
      else {
        const message = `duplicate ${what} ${JSON.stringify(value)} (already used by item ${first}); expected unique values`
        ctx.addIssue({ code: 'custom', path: [index, field], message })
      }
    })
  }
}

export const authSchema = z.strictObject({
  local_login: flag().default(true),
  providers: z
    .array(providerSchema)
    .superRefine(unique((p) => p.id, 'id', 'provider id'))
    .default([]),
  access_token_ttl: integer(1).default(600),
  refresh_token_ttl: integer(1).default(2_592_000),
  dynamic_registration: flag().default(true),
  client_id_metadata_documents: flag().default(true),
  // Client ID Metadata Documents are fetched from public addresses only, unless listed here (CIDRs).
  client_metadata_allowed_networks: z
    .array(text().refine(isIpOrCidr, { error: 'expected an IP address or a CIDR block such as 10.0.0.0/8' }))
    .default([]),
  // Extra CA certificates (PEM, usually `file:…`) trusted when fetching Client ID Metadata Documents.
  client_metadata_ca: text().optional(),
  clients: z
    .array(staticClientSchema)
    .superRefine(unique((c) => c.client_id, 'client_id', 'client_id'))
    .default([]),
})
