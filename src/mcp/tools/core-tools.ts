import type { ToolDefinition } from '../tool-definition.js'
import { getAccessContext } from './get-access-context.js'
import { listProjects } from './list-projects.js'

/** The tools every Gatehouse server offers, in listing order. */
export const CORE_TOOLS: readonly ToolDefinition[] = [getAccessContext, listProjects]
