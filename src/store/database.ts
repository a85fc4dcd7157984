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
  api_keys: ApiKeyTable
  audit_events: AuditEventTable
  store_counters: StoreCounterTable
}

export type AccountStatus = 'active' | 'inactive'

export interface OrgTable {
  id: string
  name: string
  status: AccountStatus
  created_at: number
}

export interface UserTable {
  id: string
  email: string
  name: string | null
  status: AccountStatus
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
