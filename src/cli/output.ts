/** How the CLI prints: a table for people, JSON or CSV for programs. */
export interface Output {
  out(text: string): void
  err(text: string): void
  /** Where `--password-stdin` and other secrets are read from; standard input unless a caller (a test) gives one. */
  readonly input?: NodeJS.ReadableStream
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
}

export type Row = Readonly<Record<string, unknown>>

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map(cell).join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** A plain aligned table; `columns` picks and orders the fields. */
export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(row[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)))
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n')
}

/** RFC 4180: fields with a comma, quote or newline are quoted, quotes doubled. */
export function formatCsv(rows: readonly Row[], columns: readonly string[]): string {
  const escape = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
  return [columns.join(','), ...rows.map((row) => columns.map((c) => escape(cell(row[c]))).join(','))].join('\n')
}
