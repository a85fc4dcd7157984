import type { Principal } from '../domain/principal.js'
import { InsufficientScopeError } from '../domain/errors.js'
import { SCOPE_FOR_PERMISSION } from '../domain/permissions.js'
import type { Permission } from '../domain/permissions.js'
import type { ConnectionDefinition, DomainDefinition, ProjectFile } from '../config/project-file-schema.js'
import type { DevQuery, SavedQueryDefinition, SavedQueryMode } from '../data/saved-query.js'
import type { SemanticQuery } from '../data/semantic/semantic-query.js'
import { visibleConnections, visibleDomains } from './data-access.js'

/** Running a saved query needs what running its query directly needs (SPEC §5). */
export const PERMISSION_FOR_MODE: Readonly<Record<SavedQueryMode, Exclude<Permission, 'admin'>>> = {
  standard: 'data:read',
  dev: 'sql:read',
}

/** Throws `InsufficientScopeError` naming the OAuth scope when the principal may not use `mode`. */
export function requireModePermission(principal: Principal, mode: SavedQueryMode): void {
  const permission = PERMISSION_FOR_MODE[mode]
  if (!principal.permissions.has(permission)) throw new InsufficientScopeError(SCOPE_FOR_PERMISSION[permission])
}

/** A saved query the principal may see, with what it reads: the domain (standard mode) or the connection (dev mode). */
export type SavedQueryTarget =
  | { readonly mode: 'standard'; readonly query: SemanticQuery; readonly domain: DomainDefinition }
  | { readonly mode: 'dev'; readonly query: DevQuery; readonly connection: ConnectionDefinition }

/**
 * What a saved query reads, when the principal may see it: a standard-mode
 * one when its domain is visible (domain access narrowing included), a
 * dev-mode one when the principal has dev mode and sees its connection (its
 * SQL names tables and columns, so only who could write it may read it).
 * `undefined` otherwise: a hidden saved query is treated as one that does not exist.
 */
export function savedQueryTarget(
  principal: Principal,
  project: ProjectFile,
  saved: SavedQueryDefinition,
): SavedQueryTarget | undefined {
  if (saved.mode === 'standard') {
    const domain = visibleDomains(principal, project).find((d) => d.name === saved.query.domain)
    return domain === undefined ? undefined : { mode: 'standard', query: saved.query, domain }
  }
  if (!principal.permissions.has('sql:read')) return undefined
  const connection = visibleConnections(principal, project).find((c) => c.name === saved.query.connection)
  return connection === undefined ? undefined : { mode: 'dev', query: saved.query, connection }
}
