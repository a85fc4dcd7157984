import type { Generated } from 'kysely'

/**
 * The state store's tables. Times are epoch milliseconds; JSON values are text,
 * so one schema and one set of queries serve SQLite and PostgreSQL alike.
 */
export interface Database {
  orgs: OrgTable
  users: UserTable
  memberships: MembershipTable
  projects: ProjectTable
  project_definitions: ProjectDefinitionTable
  tenants: TenantTable
  api_keys: ApiKeyTable
  audit_events: AuditEventTable
  store_counters: StoreCounterTable
  signing_keys: SigningKeyTable
  project_secrets: ProjectSecretTable
  saved_queries: SavedQueryTable
  oauth_objects: OAuthObjectTable
  oauth_clients: OAuthClientTable
  oauth_grants: OAuthGrantTable
  oauth_refresh_chains: OAuthRefreshChainTable
  server_secrets: ServerSecretTable
  user_identities: UserIdentityTable
  user_external_tokens: UserExternalTokenTable
  upstream_logins: UpstreamLoginTable
}

export type AccountStatus = 'active' | 'inactive'
/**
 * Users and organizations are never removed while credentials may point at
 * them: a deleted one is kept as a tombstone (its name or email freed, its
 * data removed), so a credential of it answers `Account not found` (SPEC §4.4).
 */
export type LifecycleStatus = AccountStatus | 'deleted'

export interface OrgTable {
  id: string
  name: string
  status: LifecycleStatus
  created_at: number
}

export interface UserTable {
  id: string
  email: string
  name: string | null
  status: LifecycleStatus
  password_hash: string | null
  created_at: number
}

export interface MembershipTable {
  org_id: string
  user_id: string
  role: 'owner' | 'admin' | 'member'
  /** JSON array of group names. */
  groups: string
  /** JSON object of attribute values. */
  attributes: string
  /** A membership can be deactivated in one organization without touching the user's others. */
  status: Generated<AccountStatus>
  created_at: number
}

export interface TenantTable {
  id: string
  org_id: string
  name: string
  /** JSON object of attribute values (e.g. the `tenant_id` row-level security filters on). */
  attributes: string
  created_at: number
}

export interface ProjectTable {
  id: string
  org_id: string
  name: string
  created_at: number
}

/** The applied project file (SPEC §3.2): connections, domains, tools. */
export interface ProjectDefinitionTable {
  project_id: string
  org_id: string
  /** JSON of the validated definition; `${VAR}` references in connection URLs are kept unresolved. */
  definition: string
  /** SHA-256 of `definition`: applying the same file again changes nothing. */
  digest: string
  applied_at: number
  /** The user (or operator) who applied it, when known. */
  applied_by: string | null
}

export interface ApiKeyTable {
  id: string
  org_id: string
  user_id: string
  name: string
  prefix: string
  /** Hex SHA-256 of the secret part; the secret itself is never stored. */
  secret_hash: string
  /** JSON array of project ids; empty for an org admin key. */
  project_ids: string
  /** JSON DomainAccess. */
  domain_access: string
  /** JSON PermissionObject. */
  permissions: string
  expires_at: number | null
  created_by: string
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

export interface AuditEventTable {
  id: Generated<number>
  /** One hash chain per server instance (or CLI run), so writers never wait on each other. */
  chain_id: string
  chain_seq: number
  at: number
  type: string
  org_id: string | null
  /** JSON of the rest of the record (principal, tool, decision, …). */
  data: string
  prev_hash: string
  hash: string
}

export interface StoreCounterTable {
  name: string
  value: number
}

/** A named query of a project (SPEC §2): what the `saved_queries` permissions apply to. */
export interface SavedQueryTable {
  id: string
  org_id: string
  project_id: string
  /** Unique in its project. */
  name: string
  description: string | null
  mode: 'standard' | 'dev'
  /** JSON: `{domain, dimensions, measures, filters, order_by, limit?}` (standard) or `{connection, sql, limit?}` (dev). */
  query: string
  /** Who saved it: an API key's visible prefix, or a user id; never a secret. */
  created_by: string | null
  created_at: number
  updated_at: number
}

/** An ES256 key pair of the JWTs Gatehouse issues, shared by every instance. */
export interface SigningKeyTable {
  kid: string
  alg: 'ES256'
  /** JSON public JWK (what `/.well-known/jwks.json` publishes). */
  public_jwk: string
  /** JSON private JWK: key material, so the store must be protected like a secret. */
  private_jwk: string
  created_at: number
  /** When a newer key became current; published until every token it could have signed has expired. */
  retired_at: number | null
}

/** A project secret (SPEC §4.3): an embedding backend mints project tokens with it. */
export interface ProjectSecretTable {
  /** `ps_<12-char id>`, the visible part of the secret. */
  id: string
  org_id: string
  project_id: string
  /** Hex SHA-256 of the secret part; the secret itself is never stored. */
  secret_hash: string
  /** JSON PermissionObject: the most a token minted with this secret may carry. */
  max_permissions: string
  /** 1 when the secret may mint tokens of org users (not only tenant users). */
  allow_org_users: number
  created_by: string
  created_at: number
  revoked_at: number | null
}

/** An object oidc-provider persists (SPEC §4.1), keyed by a hash of its id; the payload never holds the id. */
export interface OAuthObjectTable {
  /** The oidc-provider model: `AuthorizationCode`, `RefreshToken`, `Session`, `Interaction`, `Grant`, … */
  model: string
  /** Base64url SHA-256 of the object's id (a code, a token, a cookie value). */
  id_hash: string
  grant_id: string | null
  uid_hash: string | null
  /** JSON payload without its id (`jti`). */
  payload: string
  expires_at: number | null
  consumed_at: number | null
}

/** An OAuth client registered with the server (server-wide: clients register before any org is chosen). */
export interface OAuthClientTable {
  client_id: string
  /** JSON client metadata without `client_secret`. */
  metadata: string
  /** Base64url SHA-256 of the client secret; null for a public client. */
  secret_hash: string | null
  origin: 'dynamic' | 'operator'
  /** The source address of a dynamic registration. */
  registered_from: string | null
  /** Identical public registrations from one source share it, so they are answered with one client. */
  fingerprint: string | null
  created_at: number
  first_grant_at: number | null
}

/** A Connected Application (SPEC §4.1): what a user granted a client in one org. */
export interface OAuthGrantTable {
  /** oidc-provider's grant id, the `grant_id` claim of every token of it. */
  id: string
  org_id: string
  user_id: string
  client_id: string
  client_name: string
  /** JSON array of the project ids chosen at consent. */
  project_ids: string
  /** Space-separated scopes granted. */
  scopes: string
  created_at: number
  last_used_at: number | null
  disconnected_at: number | null
  /** `disconnected` (by the user or an admin) or `refresh_token_reuse`. */
  disconnect_reason: string | null
}

/** One refresh-token chain per grant (SPEC §4.1): the current token and the one it replaced. */
export interface OAuthRefreshChainTable {
  grant_id: string
  current_hash: string
  previous_hash: string | null
}

/** A random server-wide secret (e.g. the keys that sign interaction cookies); key material, like `signing_keys`. */
export interface ServerSecretTable {
  name: string
  /** Base64url random bytes. */
  value: string
  created_at: number
}

/** An upstream identity (SPEC §4.1) linked to a user: by (provider, subject) only, never by email. */
export interface UserIdentityTable {
  /** The provider's configured id (`auth.providers[].id`). */
  provider: string
  /** The provider's stable user id (OIDC `sub`, GitHub user id, Atlassian `account_id`). */
  subject: string
  user_id: string
  /** The address the provider last reported, for display; never used to find a user. */
  email: string | null
  created_at: number
  last_login_at: number | null
}

/** The latest tokens a user's upstream sign-in returned, sealed (what `get_user_external_token()` reads). */
export interface UserExternalTokenTable {
  user_id: string
  provider: string
  /** `v1.<iv>.<ciphertext>.<tag>`: AES-256-GCM, bound to the user and provider. */
  sealed: string
  updated_at: number
}

/**
 * An upstream sign-in in flight (SPEC §4.1): `pending` from the login page's
 * button to the provider's callback, then `completed` until the browser is back
 * on its authorization request. Single-use: a row is deleted when it is used.
 */
export interface UpstreamLoginTable {
  stage: 'pending' | 'completed'
  /** Base64url SHA-256 of the `state` (pending) or of the one-time completion id (completed). */
  id_hash: string
  /** The provider's configured id. */
  provider: string
  /** The authorization request's interaction, which the sign-in returns to. */
  interaction_uid: string
  /** Base64url SHA-256 of the browser's binding cookie (pending): the callback must come from that browser. */
  browser_hash: string | null
  /** JSON: the PKCE verifier and nonce (pending), or the user signed in (completed). */
  payload: string
  expires_at: number
}
