/** The OAuth scopes of SPEC §4.1 that a client may ask this resource for. */
export { MCP_SCOPES } from '../auth/authorization-server/scopes.js'
import { MCP_SCOPES } from '../auth/authorization-server/scopes.js'

/** RFC 9728 protected-resource metadata for `<public_url>/mcp`. */
export function protectedResourceMetadata(publicUrl: string): Record<string, unknown> {
  return {
    resource: `${publicUrl}/mcp`,
    authorization_servers: [publicUrl],
    scopes_supported: [...MCP_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Gatehouse',
  }
}

/** Where the metadata lives for the `/mcp` resource (RFC 9728 §3.1: the resource path appended). */
export function resourceMetadataUrl(publicUrl: string): string {
  return `${publicUrl}/.well-known/oauth-protected-resource/mcp`
}
