import type { z } from 'zod'
import { ConfigError } from '../domain/errors.js'

/** One problem in a config file: the dotted key path (`auth.providers[1].type`) and what was expected. */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

export type KeyPath = readonly PropertyKey[]

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/

export function formatKeyPath(segments: KeyPath): string {
  let out = ''
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (typeof segment === 'string' && PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(String(segment))}]`
  }
  return out
}

/**
 * All issues in one error, so that an operator fixes the file in one pass. The message holds one
 * `file: path: expected` line per issue; `path` stays the first issue's, for callers that branch on it.
 */
export function configErrorFromIssues(file: string, issues: readonly ConfigIssue[]): ConfigError {
  const [first, ...rest] = issues
  if (first === undefined) return new ConfigError(file, '', 'invalid configuration')
  const more = rest.map((issue) => `\n${file}: ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`)
  return new ConfigError(file, first.path, first.message + more.join(''))
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
}

/**
 * The zod error map for config parsing: plain words instead of zod's defaults. Schemas that know
 * better (ports, roles, URLs) set their own message; this covers the rest.
 */
export function describeZodIssue(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${show(issue.values[0])}`
        : `expected one of ${issue.values.map(show).join(', ')}`
    case 'unrecognized_keys': {
      const known = knownKeys(issue.inst)
      return known.length === 0 ? 'unknown key' : `unknown key; expected one of ${known.join(', ')}`
    }
    case 'too_small':
      if (issue.origin === 'array') return `expected a list of at least ${String(issue.minimum)} item(s)`
      if (issue.origin === 'string') return 'expected a non-empty string'
      return `expected a number of at least ${String(issue.minimum)}`
    case 'too_big':
      return `expected a number of at most ${String(issue.maximum)}`
    case 'invalid_format':
      return `expected a valid ${issue.format}`
    default:
      return issue.message ?? 'invalid value'
  }
}

function knownKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape
  return shape === undefined ? [] : Object.keys(shape)
}

// Keys whose values are secrets or may carry credentials (a postgres URL's password): their
// values are never echoed into an error that ends up in logs.
const SECRET_KEYS = new Set(['client_secret', 'key', 'cert', 'url'])
const MAX_SHOWN = 80

/** Turns a finished zod error into config issues, adding what was found where it is safe to show. */
export function issuesFromZod(error: z.ZodError): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One issue per key, with the key in the path, so the message points at the offending line.
      for (const key of issue.keys) issues.push({ path: formatKeyPath([...issue.path, key]), message: issue.message })
      continue
    }
    const last = issue.path.at(-1)
    const secret = typeof last === 'string' && SECRET_KEYS.has(last)
    const found = 'input' in issue && !secret ? `, got ${describeInput(issue.input)}` : ''
    const missing = 'input' in issue && issue.input === undefined ? ', but it is missing' : found
    issues.push({ path: formatKeyPath(issue.path), message: issue.message + missing })
  }
  return issues
}

function describeInput(input: unknown): string {
  if (Array.isArray(input)) return input.length === 0 ? 'an empty list' : 'a list'
  if (input !== null && typeof input === 'object') return 'a mapping'
  const text = show(input)
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text
}

function show(value: unknown): string {
  return typeof value === 'string' || value === null ? JSON.stringify(value) : String(value)
}
