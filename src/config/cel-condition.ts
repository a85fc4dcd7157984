import { Environment, ParseError, TypeError as CelTypeError } from '@marcbachmann/cel-js'
import type { ParseResult } from '@marcbachmann/cel-js'
import { AuthorizationError, InputError } from '../domain/errors.js'

/**
 * The one place `@marcbachmann/cel-js` is used (STYLE rule 2): policy
 * conditions (SPEC §6) are compiled once, with their syntax and types checked
 * against the variables they may use, and evaluated many times with a context.
 * It lives in `config` because project files are checked here when they are
 * loaded, and `config` may not import `authz` (STYLE rule 1); `authz` builds
 * the contexts and decides.
 */

export type CelType = 'string' | 'int' | 'double' | 'bool' | 'list<string>' | 'map<string, dyn>'

/** A variable: a CEL type, or an object whose fields are typed (so `user.rol` fails to compile). */
export type CelVariableType = CelType | { readonly [field: string]: CelType }

/** A context for `evaluate`: a value for every declared variable (integers may be JS numbers). */
export type CelContext = Readonly<Record<string, unknown>>

// Conditions are one-liners; these bounds keep a hostile or mistaken file from costing much to parse.
const LIMITS = { maxAstNodes: 1000, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 }

/**
 * Names CEL reserves or uses as literals: a variable so named could not be
 * written in a condition (`in`, `true`) or is refused by the library.
 */
const UNUSABLE_NAMES = new Set(['in', 'null', 'true', 'false'])

export class CelEnvironment {
  readonly #env: Environment
  /** Top-level `int` variables: CEL integers are BigInts, JSON gives numbers. */
  readonly #ints: ReadonlySet<string>

  private constructor(env: Environment, ints: ReadonlySet<string>) {
    this.#env = env
    this.#ints = ints
  }

  /** Throws `InputError` naming the variable when a name cannot be declared (a CEL keyword or reserved word). */
  static of(variables: Readonly<Record<string, CelVariableType>>): CelEnvironment {
    return new CelEnvironment(new Environment({ limits: LIMITS }), new Set()).with(variables)
  }

  /** A new environment with more variables; this one is left as it was. */
  with(variables: Readonly<Record<string, CelVariableType>>): CelEnvironment {
    const env = this.#env.clone()
    const ints = new Set(this.#ints)
    for (const [name, type] of Object.entries(variables)) {
      try {
        if (UNUSABLE_NAMES.has(name)) throw new Error(`'${name}' is a CEL keyword`)
        if (typeof type === 'string') env.registerVariable(name, type)
        else env.registerVariable({ name, schema: { ...type } })
      } catch (error) {
        throw new InputError(`"${name}" cannot be a variable of a CEL condition (${messageOf(error)})`, name)
      }
      if (type === 'int') ints.add(name)
    }
    return new CelEnvironment(env, ints)
  }

  /**
   * Compiles a condition: a syntax error, a type error (an unknown variable or
   * field, an operator on the wrong types) or a result that cannot be a
   * boolean throws `InputError` with the position, before anything runs.
   */
  compile(source: string): CelCondition {
    let program: ParseResult
    try {
      program = this.#env.parse(source)
    } catch (error) {
      throw compileError(source, error)
    }
    const checked = program.check()
    if (!checked.valid) throw compileError(source, checked.error)
    // `dyn` (e.g. a user attribute) can only be known at evaluation, where a non-boolean denies.
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      throw new InputError(`the condition is of type ${String(checked.type)}; expected a boolean`)
    }
    return new CelCondition(source, (context) => program(this.#values(context)))
  }

  #values(context: CelContext): Record<string, unknown> {
    if (this.#ints.size === 0) return context
    const out: Record<string, unknown> = { ...context }
    for (const name of this.#ints) {
      const value = out[name]
      if (typeof value === 'number' && Number.isInteger(value)) out[name] = BigInt(value)
    }
    return out
  }
}

export class CelCondition {
  readonly source: string
  readonly #run: (context: CelContext) => unknown

  constructor(source: string, run: (context: CelContext) => unknown) {
    this.source = source
    this.#run = run
  }

  /**
   * True or false; anything else fails closed: an evaluation error (a missing
   * key, a wrong type, a failing function) or a non-boolean result throws
   * `AuthorizationError`, its cause kept in `detail` for the audit log.
   */
  evaluate(context: CelContext): boolean {
    let value: unknown
    try {
      value = this.#run(context)
    } catch (error) {
      throw new AuthorizationError('The policy condition could not be evaluated', {
        detail: `${this.source}: ${messageOf(error)}`,
        cause: error,
      })
    }
    if (typeof value !== 'boolean') {
      throw new AuthorizationError('The policy condition could not be evaluated', {
        detail: `${this.source}: the result is ${describe(value)}, not a boolean`,
      })
    }
    return value
  }
}

function compileError(source: string, error: unknown): InputError {
  const what = error instanceof ParseError ? 'syntax error' : error instanceof CelTypeError ? 'type error' : 'error'
  const at = rangeOf(error)
  const where = at === undefined ? '' : ` at character ${at + 1} of ${JSON.stringify(source)}`
  return new InputError(`${what}: ${messageOf(error)}${where}`, undefined, { cause: error })
}

function rangeOf(error: unknown): number | undefined {
  const range = (error as { range?: { start?: unknown } } | undefined)?.range
  return typeof range?.start === 'number' ? range.start : undefined
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const summary = (error as { summary?: unknown }).summary
    return typeof summary === 'string' ? summary : (error.message.split('\n')[0] ?? error.message)
  }
  return String(error)
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'bigint') return 'an int'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`
}
