/**
 * Tool arguments as they may be kept in the audit log: no credentials, and no
 * value large enough to bloat a record. Pure, so the rules are tested as a table.
 */

export const REDACTED = '[redacted]'
export const MAX_AUDIT_STRING = 1_000
export const MAX_AUDIT_ARRAY = 100
const MAX_DEPTH = 16

// A key names a secret when one of its words does (so `api_key`, `apiKey`, `X-Api-Key`
// and `key` match, `monkey` and `keyboard` do not), or when its letters contain a
// credential word outright (`accesstoken`, `clientSecret`, `dbpassword`). Redacting a
// harmless value by mistake costs a little context; missing a secret leaks it for good.
const SECRET_WORDS = new Set(['key', 'keys', 'pass', 'pwd', 'pin', 'otp', 'session', 'cookie', 'cookies', 'bearer'])
const SECRET_FRAGMENT = /password|passwd|passphrase|secret|token|authorization|credential|apikey|privatekey|accesskey/

export function isSecretKey(key: string): boolean {
  const lower = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  if (lower.split(/[^a-z0-9]+/).some((word) => SECRET_WORDS.has(word))) return true
  return SECRET_FRAGMENT.test(lower.replace(/[^a-z0-9]/g, ''))
}

// Credentials pasted into free text (a SQL comment, a prompt) under an innocent key:
// each pattern keeps what is safe to log and hides the rest.
const SECRET_IN_TEXT: readonly (readonly [RegExp, string])[] = [
  // An API key keeps its visible prefix `gk_<id>` (SPEC §4.2), which the audit log may name;
  // a secret of any length from 16 characters is hidden, so a mistyped key does not leak either.
  [/\b(gk_[0-9A-Za-z]{12}_)[0-9A-Za-z]{16,}/g, `$1${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, `$1${REDACTED}`],
  // The password of a connection URL: postgres://user:secret@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${REDACTED}@`],
]

export function redactString(value: string): string {
  let out = value
  for (const [pattern, replacement] of SECRET_IN_TEXT) out = out.replace(pattern, replacement)
  if (out.length <= MAX_AUDIT_STRING) return out
  // Never cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(out[MAX_AUDIT_STRING - 1] ?? '') ? MAX_AUDIT_STRING - 1 : MAX_AUDIT_STRING
  return `${out.slice(0, end)}…[truncated ${out.length - end} chars]`
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_DEPTH) return '[too deep]'
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_AUDIT_ARRAY).map((item) => redactValue(item, depth + 1))
    if (value.length > MAX_AUDIT_ARRAY) kept.push(`[${value.length - MAX_AUDIT_ARRAY} more items]`)
    return kept
  }
  return redactObject(value as Readonly<Record<string, unknown>>, depth)
}

function redactObject(value: Readonly<Record<string, unknown>>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[redactString(key)] = isSecretKey(key) ? REDACTED : redactValue(item, depth + 1)
  }
  return out
}

/** A copy of a tool call's arguments that is safe to keep: secret-looking keys hidden, long strings cut. */
export function redactArguments(args: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return args === undefined ? {} : redactObject(args, 0)
}
