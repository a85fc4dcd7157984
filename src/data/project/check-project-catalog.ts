import { configErrorFromIssues } from '../../config/config-issue.js'
import type { ConfigIssue } from '../../config/config-issue.js'
import type { DatasetDefinition, MeasureDefinition, ProjectFile } from '../../config/project-file-schema.js'
import { isGatehouseError } from '../../domain/errors.js'
import type { Engine, TableInfo } from '../engine.js'
import { EngineUnavailableError, openEngine } from '../open-engine.js'
import type { OpenEngineOptions } from '../open-engine.js'
import { toPositionalParameters } from '../sql/named-parameters.js'
import { tablesNamed } from '../table-name.js'
import { checkProjectSecurity } from './check-project-security.js'
import { checkToolPolicyFields } from './check-tool-policy-fields.js'
import { probeToolSql } from './probe-tool-sql.js'

/**
 * `apply`'s second pass (SPEC §3.2): every connection opens (a PostgreSQL role
 * that could bypass row-level security or write is refused), every table,
 * column, measure expression, dataset query and tool query is checked by the
 * real engine, through the same guard as agents' SQL (and the columns a tool's
 * output policies name, against what its query returns), and so is the
 * `security` section (`checkProjectSecurity`). Nothing is stored until
 * all of it holds; every problem is reported at once.
 */
export async function checkProjectCatalog(
  project: ProjectFile,
  file: string,
  options: OpenEngineOptions,
): Promise<void> {
  const issues: ConfigIssue[] = []
  const issue = (path: string, message: string) => issues.push({ path, message })
  const engines = new Map<string, Engine>()
  try {
    for (const [i, connection] of project.connections.entries()) {
      try {
        engines.set(connection.name, await openEngine(connection, options))
      } catch (error) {
        issue(
          `connections[${i}]`,
          `cannot open ${connection.engine} connection "${connection.name}": ${reasonOf(error)}`,
        )
      }
    }
    for (const [d, domain] of project.domains.entries()) {
      const columnsOf = new Map<string, ReadonlySet<string>>()
      for (const [i, dataset] of domain.datasets.entries()) {
        const engine = engines.get(dataset.connection)
        if (engine === undefined) continue
        const columns = await checkDataset(engine, dataset, `domains[${d}].datasets[${i}]`, issue)
        if (columns !== undefined) columnsOf.set(dataset.name, columns)
      }
      for (const [j, join] of domain.joins.entries()) {
        for (const side of ['from', 'to'] as const) {
          const [dataset = '', column = ''] = join[side].split('.')
          const columns = columnsOf.get(dataset)
          if (columns !== undefined && !columns.has(column.toLowerCase())) {
            issue(`domains[${d}].joins[${j}].${side}`, `dataset "${dataset}" has no column "${column}"`)
          }
        }
      }
    }
    for (const [t, tool] of project.tools.entries()) {
      const engine = engines.get(tool.connection)
      if (engine === undefined) continue
      try {
        const positional = toPositionalParameters(
          tool.sql,
          tool.parameters.map((p) => p.name),
        )
        // Declared SQL carries its own parameters; otherwise the same guard and rewrite as an agent's SQL.
        const returned = await probeToolSql(engine, tool, positional)
        checkToolPolicyFields(project, tool, `tools[${t}]`, returned, issue)
      } catch (error) {
        issue(`tools[${t}].sql`, reasonOf(error))
      }
    }
    if (project.security !== undefined) issues.push(...(await checkProjectSecurity(project.security, engines)))
  } finally {
    await Promise.all([...engines.values()].map((engine) => engine.close()))
  }
  if (issues.length > 0) throw configErrorFromIssues(file, issues)
}

async function checkDataset(
  engine: Engine,
  dataset: DatasetDefinition,
  at: string,
  issue: (path: string, message: string) => void,
): Promise<ReadonlySet<string> | undefined> {
  let source: string
  let columns: ReadonlySet<string>
  if (dataset.table !== undefined) {
    const table = findTable(await engine.tables(), dataset.table)
    if (table === undefined) {
      issue(
        `${at}.table`,
        `table ${dataset.table} does not exist in connection "${dataset.connection}" (or cannot be read)`,
      )
      return undefined
    }
    source = `${quote(table.schema)}.${quote(table.name)}`
    columns = new Set(table.columns.map((c) => c.name.toLowerCase()))
  } else {
    source = `(${dataset.sql ?? ''})`
    try {
      await engine.guard(dataset.sql ?? '', { allowParameters: false })
      const probe = await engine.query(`SELECT * FROM ${source} AS gatehouse_dataset LIMIT 0`, { maxRows: 1 })
      columns = new Set(probe.columns.map((c) => c.name.toLowerCase()))
    } catch (error) {
      issue(`${at}.sql`, reasonOf(error))
      return undefined
    }
  }
  for (const [i, dimension] of dataset.dimensions.entries()) {
    if (!columns.has(dimension.column.toLowerCase())) {
      issue(`${at}.dimensions[${i}].column`, `${describeSource(dataset)} has no column "${dimension.column}"`)
    }
  }
  for (const [i, measure] of dataset.measures.entries()) {
    // The expression is checked as the engine will run it: same guard (functions, tables), then bound.
    const sql = `SELECT ${aggregate(measure)} AS m FROM ${source} AS gatehouse_dataset LIMIT 0`
    try {
      await engine.guard(sql, { allowParameters: false })
      await engine.query(sql, { maxRows: 1 })
    } catch (error) {
      issue(`${at}.measures[${i}].expression`, `${measure.expression ?? '*'}: ${reasonOf(error)}`)
    }
  }
  return columns
}

function findTable(tables: readonly TableInfo[], name: string): TableInfo | undefined {
  const matches = tablesNamed(tables, name)
  return matches.length === 1 ? matches[0] : undefined
}

function aggregate(measure: MeasureDefinition): string {
  const expression = measure.expression ?? '*'
  if (measure.aggregation === 'count_distinct') return `count(DISTINCT (${expression}))`
  if (measure.aggregation === 'count' && measure.expression === undefined) return 'count(*)'
  return `${measure.aggregation}((${expression}))`
}

function describeSource(dataset: DatasetDefinition): string {
  return dataset.table !== undefined ? `table ${dataset.table}` : `the query of dataset "${dataset.name}"`
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`
}

function reasonOf(error: unknown): string {
  if (error instanceof EngineUnavailableError) return error.reason
  if (isGatehouseError(error)) {
    // Operators applying a file may see the engine's own words (the agent-facing message is generic).
    return error.code === 'QUERY_FAILED' && error.detail !== undefined ? error.detail : error.message
  }
  return error instanceof Error ? error.message : String(error)
}
