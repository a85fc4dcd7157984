/** The OAuth scopes a client may ask this resource for (SPEC §4.1), in the order consent lists them. */
export const MCP_SCOPES = ['mcp:read', 'mcp:sql', 'mcp:write'] as const

/** Scopes of OpenID Connect the authorization server also understands. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const

/** What a request without `scope` is given (SPEC §4.1). */
export const DEFAULT_SCOPE = 'mcp:read'

/** Every scope, in words, for the consent page. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'mcp:read': 'List and describe your data domains, run governed queries and read saved queries',
  'mcp:sql': 'Run read-only SQL on the connections of the chosen projects (developer mode)',
  'mcp:write': 'Save and delete saved queries',
  openid: 'Know who you are',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using it',
}
