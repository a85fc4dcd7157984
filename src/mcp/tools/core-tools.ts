import type { ToolDefinition } from '../tool-definition.js'
import { getAccessContext } from './get-access-context.js'
import { listProjects } from './list-projects.js'
import { listConnections } from './list-connections.js'
import { listTables } from './list-tables.js'
import { describeTable } from './describe-table.js'
import { runSql } from './run-sql.js'
import { listSavedQueries } from './list-saved-queries.js'
import { runSavedQuery } from './run-saved-query.js'
import { saveQuery } from './save-query.js'
import { deleteSavedQuery } from './delete-saved-query.js'
import { listDomains } from './list-domains.js'
import { describeDomain } from './describe-domain.js'
import { query } from './query.js'

/** The tools every Gatehouse server offers, in listing order. */
export const CORE_TOOLS: readonly ToolDefinition[] = [getAccessContext, listProjects]

/** Every built-in tool (SPEC §5): what a server serves and what a custom tool may not be named. */
export const BUILTIN_TOOLS: readonly ToolDefinition[] = [
  ...CORE_TOOLS,
  listDomains,
  describeDomain,
  query,
  listConnections,
  listTables,
  describeTable,
  runSql,
  listSavedQueries,
  runSavedQuery,
  saveQuery,
  deleteSavedQuery,
]
