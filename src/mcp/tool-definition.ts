import type { z } from 'zod'
import type { Principal } from '../domain/principal.js'
import type { Permission } from '../domain/permissions.js'
import type { Store } from '../store/store.js'
import type { ProjectCatalog } from '../store/project-catalog.js'
import type { DataPlane } from '../data/data-plane.js'

/** What tools may use. Later layers (engines, policies) join here. */
export interface ToolDeps {
  readonly store: Store
  /** Cached project lists; what tools use to resolve a principal's projects. */
  readonly catalog: ProjectCatalog
  /** Applied project definitions and their engines. */
  readonly data: DataPlane
  readonly limits: { readonly maxRows: number; readonly statementTimeoutMs: number }
  /** Users' upstream tokens, for `get_user_external_token()` in custom tools; absent: the function gives NULL. */
  readonly externalTokens?: { latestAccessToken(userId: string): Promise<string | undefined> }
}

export interface ToolContext {
  readonly principal: Principal
  readonly signal: AbortSignal
  readonly deps: ToolDeps
  /** The request's headers that `get_request_header(name)` may read (the configured allowlist), by lower-case name. */
  readonly requestHeaders?: ReadonlyMap<string, string>
}

/** A tool's answer: structured content plus a text rendering of it (SPEC §5). */
export interface ToolOutput {
  readonly structuredContent: Record<string, unknown>
  readonly text: string
  /** The policies that shaped the answer (e.g. `top_customers.output[0]`), for the call's audit record. */
  readonly policies?: readonly string[]
  /** The row rules (`policy.rule`) that applied to the tables the call read, for its audit record. */
  readonly rules?: readonly string[]
}

export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> {
  readonly name: string
  readonly title: string
  readonly description: string
  readonly input: S
  /** The permission a caller needs; `null` for tools any authenticated principal may call. Checked before the tool runs. */
  readonly permission: Permission | null
  readonly annotations?: { readonly readOnlyHint?: boolean; readonly openWorldHint?: boolean }
  run(args: z.infer<S>, ctx: ToolContext): Promise<ToolOutput>
}

/** Keeps `run`'s argument type tied to the schema at the definition site. */
export function defineTool<S extends z.ZodObject>(definition: ToolDefinition<S>): ToolDefinition {
  return definition as unknown as ToolDefinition
}
