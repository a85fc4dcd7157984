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
