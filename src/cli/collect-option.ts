import { InputError } from '../domain/errors.js'

/** Commander's accumulator for a repeatable option (`--group a --group b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** `k=v` options as an object; a value is JSON when it parses as JSON, else the text itself. */
export function parseKeyValues(params: readonly string[], option: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const param of params) {
    const at = param.indexOf('=')
    if (at <= 0) throw new InputError(`${option}: "${param}" is not k=v`, option.replace(/^-+/, ''))
    const raw = param.slice(at + 1)
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {
      // Not JSON: the text itself.
    }
    out[param.slice(0, at)] = value
  }
  return out
}
