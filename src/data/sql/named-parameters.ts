import { InputError } from '../../domain/errors.js'

export interface PositionalSql {
  /** The SQL with each `$name` replaced by `$1`, `$2`… */
  readonly sql: string
  /** Parameter names in positional order: `order[0]` binds `$1`. */
  readonly order: readonly string[]
}

/**
 * Rewrites the `$name` parameters of a custom tool's SQL (SPEC §3.2) into the
 * positional `$n` both engines bind. Text inside string literals, quoted
 * identifiers, dollar-quoted strings and comments is left alone, so `'$5'` is
 * a literal and not a parameter. Every `$name` must be declared; a declared
 * name that is never used is an error too (a typo would otherwise go unseen).
 */
export function toPositionalParameters(sql: string, declared: readonly string[]): PositionalSql {
  const known = new Set(declared)
  const order: string[] = []
  const used = new Set<string>()
  let out = ''
  let i = 0
  while (i < sql.length) {
    const ch = sql[i] as string
    const next = sql[i + 1]
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sql, i, ch)
      out += sql.slice(i, end)
      i = end
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i)
      const stop = end === -1 ? sql.length : end
      out += sql.slice(i, stop)
      i = stop
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2)
      const stop = end === -1 ? sql.length : end + 2
      out += sql.slice(i, stop)
      i = stop
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))
      const param = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(i))
      if (tag !== null) {
        // A dollar-quoted string ($$…$$, $tag$…$tag$) runs to the same tag.
        const end = sql.indexOf(tag[0], i + tag[0].length)
        const stop = end === -1 ? sql.length : end + tag[0].length
        out += sql.slice(i, stop)
        i = stop
      } else if (param !== null) {
        const name = param[1] as string
        if (!known.has(name)) {
          throw new InputError(
            `sql uses $${name}, which is not a declared parameter` +
              (declared.length > 0 ? ` (declared: ${declared.join(', ')})` : ' (no parameters are declared)'),
          )
        }
        if (!used.has(name)) {
          used.add(name)
          order.push(name)
        }
        out += `$${order.indexOf(name) + 1}`
        i += param[0].length
      } else if (/^\$\d/.test(sql.slice(i))) {
        throw new InputError('sql uses a positional parameter ($1); write the declared parameters as $name')
      } else {
        out += ch
        i += 1
      }
    } else if (ch === '?') {
      throw new InputError('sql uses a ? placeholder; write the declared parameters as $name')
    } else {
      out += ch
      i += 1
    }
  }
  const unused = declared.filter((name) => !used.has(name))
  if (unused.length > 0) throw new InputError(`parameter ${unused.join(', ')} is declared but sql never uses it`)
  return { sql: out, order }
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1
  while (i < sql.length) {
    if (sql[i] === quote) {
      // A doubled quote is an escaped quote inside the literal.
      if (sql[i + 1] === quote) i += 2
      else return i + 1
    } else i += 1
  }
  return sql.length
}
