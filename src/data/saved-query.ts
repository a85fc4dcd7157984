import { z } from 'zod'
import { GatehouseError } from '../domain/errors.js'
import { name } from '../config/project-file-schema.js'
import { semanticQuerySchema } from './semantic/semantic-query.js'
import type { SemanticQuery } from './semantic/semantic-query.js'

/**
 * What a saved query holds (SPEC §2): a standard-mode query over a domain, or
 * a dev-mode SELECT on a connection. The store keeps it as JSON text; this is
 * its shape on the way in and out.
 */
export const SAVED_QUERY_MODES = ['standard', 'dev'] as const
export type SavedQueryMode = (typeof SAVED_QUERY_MODES)[number]

/** The same rule as every name in a project file: an agent types it, a tool carries it. */
export const savedQueryName = name('saved query')

export const devQuerySchema = z.strictObject({
  connection: z.string().min(1).describe('Connection name, from list_connections'),
  sql: z.string().min(1).max(100_000).describe('One SELECT statement, in the connection engine dialect'),
  limit: z.int().min(1).optional().describe('Maximum rows to return (capped by the server)'),
})
export type DevQuery = z.infer<typeof devQuerySchema>

export type SavedQueryDefinition =
  { readonly mode: 'standard'; readonly query: SemanticQuery } | { readonly mode: 'dev'; readonly query: DevQuery }

/** The stored JSON of a definition (defaults filled in, so a stored query never changes meaning). */
export function savedQueryJson(definition: SavedQueryDefinition): string {
  return JSON.stringify(definition.query)
}

/**
 * Reads a stored definition. Rows are written only after validation, so one
 * that does not parse is corrupt: it fails closed, as an internal error.
 */
export function parseSavedQuery(mode: string, json: string): SavedQueryDefinition {
  try {
    const value: unknown = JSON.parse(json)
    if (mode === 'standard') return { mode, query: semanticQuerySchema.parse(value) }
    if (mode === 'dev') return { mode, query: devQuerySchema.parse(value) }
  } catch (error) {
    throw new GatehouseError('INTERNAL', 'A stored saved query cannot be read', { cause: error })
  }
  throw new GatehouseError('INTERNAL', `A stored saved query has an unknown mode: ${mode}`)
}
