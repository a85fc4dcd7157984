import { z } from 'zod'

export const responseFormat = z
  .enum(['json', 'markdown'])
  .optional()
  .describe('How the text content is rendered: json (default) or markdown')

export type ResponseFormat = z.infer<typeof responseFormat>

/** The text rendering of a tool's structured content (SPEC §5). */
export function renderText(value: Record<string, unknown>, format: ResponseFormat): string {
  return format === 'markdown' ? toMarkdown(value, 0) : JSON.stringify(value)
}

function toMarkdown(value: unknown, depth: number): string {
  const indent = '  '.repeat(depth)
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}- (none)`
    return value
      .map((item) =>
        isPlainObject(item) ? `${indent}-\n${toMarkdown(item, depth + 1)}` : `${indent}- ${scalar(item)}`,
      )
      .join('\n')
  }
  if (isPlainObject(value)) {
    return Object.entries(value)
      .map(([key, item]) =>
        isPlainObject(item) || Array.isArray(item)
          ? `${indent}- **${key}**:\n${toMarkdown(item, depth + 1)}`
          : `${indent}- **${key}**: ${scalar(item)}`,
      )
      .join('\n')
  }
  return `${indent}${scalar(value)}`
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '—'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

interface TabularResult {
  readonly columns: readonly { readonly name: string }[]
  readonly rows: readonly (readonly unknown[])[]
  readonly row_count: number
  readonly truncated: boolean
}

/** A data result as text: JSON, or a Markdown table an agent can quote to a person. */
export function renderResult(result: TabularResult, format: ResponseFormat): string {
  if (format !== 'markdown') return JSON.stringify(result)
  const cell = (value: unknown) => scalar(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
  const lines = [
    `| ${result.columns.map((c) => cell(c.name)).join(' | ')} |`,
    `| ${result.columns.map(() => '---').join(' | ')} |`,
    ...result.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ]
  const rows = `${result.row_count} row${result.row_count === 1 ? '' : 's'}`
  lines.push('', result.truncated ? `${rows} (truncated: more rows exist; narrow the query or raise limit)` : rows)
  return lines.join('\n')
}
