import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../domain/errors.js'
import { checkSecurityDefinition } from './check-security-definition.js'
import { checkToolPolicies } from './check-tool-policies.js'
import { configErrorFromIssues, describeZodIssue, issuesFromZod } from './config-issue.js'
import type { ConfigIssue } from './config-issue.js'
import { parseYamlText } from './load-config.js'
import { projectFileSchema } from './project-file-schema.js'
import type { ProjectFile } from './project-file-schema.js'

export interface ProjectFileOptions {
  /** Tool names the server already serves: a custom tool may not shadow one. */
  readonly reservedToolNames: readonly string[]
}

/** Argument names every data tool takes besides a custom tool's own parameters. */
const RESERVED_PARAMETERS = new Set(['project', 'response_format'])

/** Reads and checks a project file (SPEC §3.2) without touching any database. */
export function loadProjectFile(path: string, options: ProjectFileOptions): ProjectFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new ConfigError(path, '', code === 'ENOENT' ? 'file not found' : `cannot read the file (${String(code)})`)
  }
  return projectFileFromObject(parseYamlText(text, path), path, dirname(resolve(path)), options)
}

/**
 * Validates a project definition's shape, names and references, and resolves
 * DuckDB paths against `baseDir`. `${VAR}` references are kept as written:
 * they are resolved when a connection opens, so no password is ever stored.
 * Every problem is reported at once, each with its key path.
 */
export function projectFileFromObject(
  raw: unknown,
  file: string,
  baseDir: string,
  options: ProjectFileOptions,
): ProjectFile {
  const parsed = projectFileSchema.safeParse(raw, { reportInput: true, error: describeZodIssue })
  if (!parsed.success) throw configErrorFromIssues(file, issuesFromZod(parsed.error))
  const project = parsed.data
  const issues: ConfigIssue[] = []
  const issue = (path: string, message: string) => issues.push({ path, message })

  if (project.security !== undefined) {
    issues.push(
      ...checkSecurityDefinition(
        project.security,
        project.connections.map((c) => c.name),
      ),
    )
  }
  unique(project.connections, 'connections', 'connection', issue)
  unique(project.domains, 'domains', 'domain', issue)
  unique(project.tools, 'tools', 'tool', issue)
  const connections = new Set(project.connections.map((c) => c.name))

  project.domains.forEach((domain, d) => {
    unique(domain.datasets, `domains[${d}].datasets`, 'dataset', issue)
    const datasets = new Map(domain.datasets.map((ds) => [ds.name, ds]))
    const used = new Set<string>()
    domain.datasets.forEach((dataset, i) => {
      const at = `domains[${d}].datasets[${i}]`
      if (!connections.has(dataset.connection))
        issue(`${at}.connection`, unknownConnection(dataset.connection, connections))
      else used.add(dataset.connection)
      unique([...dataset.dimensions, ...dataset.measures], at, 'dimension or measure', issue)
    })
    if (used.size > 1) {
      issue(
        `domains[${d}].datasets`,
        `all datasets of a domain must use one connection (found ${[...used].join(', ')})`,
      )
    }
    domain.joins.forEach((join, j) => {
      for (const side of ['from', 'to'] as const) {
        const dataset = join[side].split('.')[0] ?? ''
        if (!datasets.has(dataset)) {
          issue(
            `domains[${d}].joins[${j}].${side}`,
            `unknown dataset "${dataset}"; expected one of ${[...datasets.keys()].join(', ')}`,
          )
        }
      }
    })
  })

  project.tools.forEach((tool, t) => {
    const at = `tools[${t}]`
    if (options.reservedToolNames.includes(tool.name))
      issue(`${at}.name`, `"${tool.name}" is the name of a built-in tool`)
    if (!connections.has(tool.connection)) issue(`${at}.connection`, unknownConnection(tool.connection, connections))
    unique(tool.parameters, `${at}.parameters`, 'parameter', issue)
    tool.parameters.forEach((parameter, p) => {
      if (RESERVED_PARAMETERS.has(parameter.name)) {
        issue(`${at}.parameters[${p}].name`, `"${parameter.name}" is reserved; choose another name`)
      }
    })
    checkToolPolicies(project, tool, at, issue)
  })

  if (issues.length > 0) throw configErrorFromIssues(file, issues)
  return {
    ...project,
    connections: project.connections.map((c) =>
      c.engine === 'duckdb' ? { ...c, path: isAbsolute(c.path) ? c.path : resolve(baseDir, c.path) } : c,
    ),
  }
}

function unique(
  items: readonly { name: string }[],
  at: string,
  what: string,
  issue: (path: string, message: string) => void,
): void {
  const seen = new Set<string>()
  for (const item of items) {
    if (seen.has(item.name)) issue(at, `the ${what} name "${item.name}" is used twice`)
    seen.add(item.name)
  }
}

function unknownConnection(name: string, known: ReadonlySet<string>): string {
  return known.size === 0
    ? `unknown connection "${name}"; the file defines no connections`
    : `unknown connection "${name}"; expected one of ${[...known].join(', ')}`
}
