import { isAbsolute, resolve } from 'node:path'
import { configErrorFromIssues, formatKeyPath } from './config-issue.js'
import type { ConfigIssue, KeyPath } from './config-issue.js'

/** Reads a whole file as UTF-8; throws (with a `code` such as `ENOENT`) when it cannot. */
export type FileReader = (absolutePath: string) => string

export interface ReferenceContext {
  /** Names the config file in errors. */
  readonly file: string
  /** Where relative `file:` paths start: the config file's folder. */
  readonly baseDir: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly readFile: FileReader
}

type Outcome = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string }

const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s
const FILE_PREFIX = 'file:'

/**
 * Expands `${VAR}` and `${VAR:-default}` in one string; `$${` stands for a literal `${`.
 * The default applies when the variable is unset or empty, as in the shell. Expanded text is
 * never expanded again, so a variable's value cannot smuggle in another reference.
 */
export function expandVariables(text: string, env: ReferenceContext['env']): Outcome {
  let out = ''
  let i = 0
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${'
      i += 3
      continue
    }
    if (!text.startsWith('${', i)) {
      out += text[i]
      i += 1
      continue
    }
    const end = text.indexOf('}', i + 2)
    if (end === -1) return { ok: false, problem: 'unterminated "${"; write $${ for a literal "${"' }
    const inner = text.slice(i + 2, end)
    const match = VARIABLE.exec(inner)
    if (match === null) {
      return { ok: false, problem: `invalid reference "\${${inner}}"; expected \${NAME} or \${NAME:-default}` }
    }
    const [, name = '', fallback] = match
    const value = env[name]
    if (fallback !== undefined && (value === undefined || value === '')) out += fallback
    else if (value === undefined) {
      return {
        ok: false,
        problem: `environment variable ${name} is not set (write \${${name}:-default} for a default)`,
      }
    } else out += value
    i = end + 1
  }
  return { ok: true, value: out }
}

/**
 * Resolves one string value. A value that starts with `file:` is replaced by that file's content,
 * minus trailing newlines (secrets are usually written by `echo` or an editor); variables may appear
 * in the path but the content itself is taken as it is.
 */
export function resolveValue(value: string, context: ReferenceContext): Outcome {
  if (!value.startsWith(FILE_PREFIX)) return expandVariables(value, context.env)
  const path = expandVariables(value.slice(FILE_PREFIX.length), context.env)
  if (!path.ok) return path
  if (path.value === '') return { ok: false, problem: 'expected a path after "file:"' }
  const absolute = isAbsolute(path.value) ? path.value : resolve(context.baseDir, path.value)
  try {
    return { ok: true, value: context.readFile(absolute).replace(/(\r?\n)+$/, '') }
  } catch (error) {
    const reason = (error as { code?: unknown }).code ?? (error as Error).message
    return { ok: false, problem: `cannot read the file ${absolute} (${String(reason)})` }
  }
}

/**
 * Returns a copy of a parsed YAML tree with every string value resolved. Keys are left alone.
 * Every problem is collected before throwing, so one run reports them all.
 */
export function resolveReferences(tree: unknown, context: ReferenceContext): unknown {
  const issues: ConfigIssue[] = []
  const resolved = walk(tree, [], context, issues)
  if (issues.length > 0) throw configErrorFromIssues(context.file, issues)
  return resolved
}

function walk(node: unknown, path: KeyPath, context: ReferenceContext, issues: ConfigIssue[]): unknown {
  if (typeof node === 'string') {
    const outcome = resolveValue(node, context)
    if (outcome.ok) return outcome.value
    issues.push({ path: formatKeyPath(path), message: outcome.problem })
    return node
  }
  if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index], context, issues))
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key], context, issues)]),
    )
  }
  return node
}
