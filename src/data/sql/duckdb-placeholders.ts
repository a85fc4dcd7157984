import type { RowAlternative, RowPredicate, SessionValues } from './restrictions.js'
import { sessionCall, sessionCallKey, sessionValue } from './session-functions.js'
import type { SessionCall, SessionCallSyntax } from './session-functions.js'

type PredicateValue = RowPredicate['values'][number]

/** Whose values a run of placeholders binds: a row rule's (as many as it has), or one session function call's. */
export type DuckDbParameterSource = { readonly alternative: RowAlternative } | { readonly session: SessionCall }

/**
 * The placeholders the row-level rewrite adds after the query's own `$1…$k`,
 * and the values they bind, in placeholder order: each row rule's values once
 * per alternative, each distinct session function call once.
 */
export class DuckDbPlaceholders {
  /** `$(parameterCount + 1)` binds `values[0]`. */
  readonly values: PredicateValue[] = []
  /** Whose values `values` holds, in that order. */
  readonly sources: DuckDbParameterSource[] = []
  readonly #offsets = new Map<RowAlternative, number>()
  /** The placeholder of each distinct session function call (`sessionCallKey`): repeats share it, as GROUP BY needs. */
  readonly #sessionParameters = new Map<string, number>()
  readonly #parameterCount: number
  readonly #session: SessionValues | undefined

  constructor(parameterCount: number, session: SessionValues | undefined) {
    this.#parameterCount = parameterCount
    this.#session = session
  }

  /** What the alternative's `$1…$n` are moved by: past the user's parameters and the values bound before it. */
  ruleOffset(alternative: RowAlternative): number {
    const predicate = alternative.predicate as RowPredicate
    let offset = this.#offsets.get(alternative)
    if (offset === undefined) {
      offset = this.#parameterCount + this.values.length
      this.#offsets.set(alternative, offset)
      this.values.push(...predicate.values)
      this.sources.push({ alternative })
    }
    return offset
  }

  /** The placeholder bound to one call of SPEC §5's SQL functions, with the value from the session. */
  sessionParameter(syntax: SessionCallSyntax): number {
    const call = sessionCall(syntax, this.#session)
    const key = sessionCallKey(call)
    let identifier = this.#sessionParameters.get(key)
    if (identifier === undefined) {
      identifier = this.#parameterCount + this.values.length + 1
      this.#sessionParameters.set(key, identifier)
      this.values.push(sessionValue(call, this.#session))
      this.sources.push({ session: call })
    }
    return identifier
  }
}
