import type { Alias, Node, ParseResult } from 'libpg-query'
import { GatehouseError } from '../../../domain/errors.js'
import type { ConnectionRestrictions, RowAlternative, RowPredicate, TableRestriction } from '../restrictions.js'
import { SqlRefusedError } from '../sql-refused-error.js'
import { POSTGRES_SYSTEM_SCHEMAS } from './postgres-functions.js'
import { placePredicate, restrictedTable } from './postgres-restricted-table.js'
import {
  postgresSessionCallSyntax,
  postgresSessionColumnName,
  postgresSessionFunction,
  postgresSessionParameter,
} from './postgres-session-functions.js'
import { sessionCall, sessionCallKey, sessionValue } from '../session-functions.js'

export interface PostgresRewriteOptions {
  /** The database name, accepted as a three-part qualifier. */
  readonly database: string
  /** The schema an unqualified table name resolves to. */
  readonly defaultSchema: string
  /** How many values the caller binds to the query's own `$1…$k` (a custom tool's parameters; 0 in dev mode). */
  readonly parameters: number
}

/** Each row predicate's AST by its SQL text: the `whereClause` of `SELECT 1 FROM t WHERE <sql>` as libpg-query parses it. */
export type PredicateAsts = ReadonlyMap<string, unknown>

export interface PostgresRewrite {
  readonly ast: ParseResult
  /**
   * The row predicates' and the session functions' values, in placeholder
   * order: they bind `$k+1…` after the query's own `k` parameters.
   */
  readonly params: readonly RowPredicate['values'][number][]
  /** `policy.rule` names of the tables the query reads, in the order the query names them. */
  readonly appliedRules: readonly string[]
}

interface Scope {
  /** CTE names a bare table name resolves to here. */
  readonly ctes: ReadonlySet<string>
  /** FROM-clause names per query level, innermost last: the `schema.table` an unaliased base table stands for, else null. */
  readonly levels: readonly ReadonlyMap<string, string | null>[]
}

type Body = Record<string, unknown>

/**
 * Rewrites the libpg-query AST of one SELECT so that it reads only what the
 * principal may see (SPEC §3.2 rules, §5): every base-table reference at any
 * depth becomes the fenced subquery of `restrictedTable`, under the name the
 * query gave it, so the rest of the query is unchanged. A table absent from
 * `restrictions` gets the same refusal as one that does not exist.
 *
 * Pure: a new AST is returned and the input is never changed. CTE names are
 * scoped as PostgreSQL scopes them: inside a plain WITH a CTE's own name and
 * the names after it are still tables (`WITH orders AS (SELECT * FROM orders)`
 * reads the table), inside WITH RECURSIVE every name of the list is a CTE.
 *
 * Each call of SPEC §5's SQL functions becomes `$n::pg_catalog.text` bound to
 * its value from `restrictions.session` (`session-functions.ts`), under the
 * column name PostgreSQL gives the call.
 */
export function rewritePostgresSelect(
  ast: unknown,
  restrictions: ConnectionRestrictions,
  predicates: PredicateAsts,
  options: PostgresRewriteOptions,
): PostgresRewrite {
  const root = isBody(ast) ? ast : {}
  const stmts = Array.isArray(root.stmts) ? (root.stmts as unknown[]) : []
  if (stmts.length !== 1) throw new SqlRefusedError('Exactly one SQL statement is accepted')
  const raw = stmts[0] as Body
  const select = isBody(raw.stmt) ? raw.stmt.SelectStmt : undefined
  if (!isBody(select)) throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
  const rewriter = new PostgresRewriter(restrictions, predicates, options)
  const stmt = { SelectStmt: nestingLimited(() => rewriter.select(select, { ctes: new Set(), levels: [] })) }
  return {
    ast: { ...root, stmts: [{ ...raw, stmt }] } as ParseResult,
    params: rewriter.params,
    appliedRules: [...rewriter.rules],
  }
}

/** One rewrite: a method per node kind that matters, every other node copied field by field. */
class PostgresRewriter {
  readonly params: RowPredicate['values'][number][] = []
  readonly rules = new Set<string>()
  readonly #restrictions: ConnectionRestrictions
  readonly #predicates: PredicateAsts
  readonly #options: PostgresRewriteOptions
  /** Where each alternative's values start: every reference to a table shares its placeholders. */
  readonly #offsets = new Map<RowAlternative, number>()
  /** The placeholder of each distinct session function call (`sessionCallKey`): repeats share it, as GROUP BY needs. */
  readonly #sessionParameters = new Map<string, number>()

  constructor(restrictions: ConnectionRestrictions, predicates: PredicateAsts, options: PostgresRewriteOptions) {
    this.#restrictions = restrictions
    this.#predicates = predicates
    this.#options = options
  }

  select(stmt: Body, outer: Scope): Body {
    if (stmt.intoClause !== undefined) throw new SqlRefusedError('SELECT INTO creates a table and is not allowed')
    if (stmt.lockingClause !== undefined) throw new SqlRefusedError('FOR UPDATE and FOR SHARE are not allowed')
    const scope = isBody(stmt.withClause) ? this.#scopeOf(stmt.withClause, outer) : outer
    const setOperation = stmt.op !== undefined && stmt.op !== 'SETOP_NONE'
    const inner = setOperation
      ? scope
      : { ...scope, levels: [...scope.levels, this.#fromNames(stmt.fromClause, scope)] }
    const out: Body = {}
    for (const [key, value] of Object.entries(stmt)) {
      if (key === 'withClause') out[key] = this.#withClause(value as Body, outer)
      // The arms of a set operation are SelectStmt bodies without the node wrapper.
      else if (key === 'larg' || key === 'rarg') out[key] = this.select(value as Body, scope)
      else out[key] = this.#value(value, inner)
    }
    return out
  }

  /** The scope of the statement a WITH clause belongs to: every name of the list. */
  #scopeOf(clause: Body, outer: Scope): Scope {
    return { ...outer, ctes: new Set([...outer.ctes, ...cteNames(clause)]) }
  }

  #withClause(clause: Body, outer: Scope): Body {
    const names = cteNames(clause)
    const ctes = (clause.ctes as Body[]).map((wrapped, i) => {
      // A plain WITH shows each CTE only the ones before it; WITH RECURSIVE shows them all.
      const visible = clause.recursive === true ? names : names.slice(0, i)
      const scope = { ...outer, ctes: new Set([...outer.ctes, ...visible]) }
      return { CommonTableExpr: this.#commonTableExpr(wrapped.CommonTableExpr as Body, scope) }
    })
    return { ...clause, ctes }
  }

  #commonTableExpr(cte: Body, scope: Scope): Body {
    const query = cte.ctequery as Body
    if (!isBody(query.SelectStmt)) throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
    const out: Body = {}
    for (const [key, value] of Object.entries(cte)) {
      out[key] = key === 'ctequery' ? { SelectStmt: this.select(query.SelectStmt, scope) } : this.#value(value, scope)
    }
    return out
  }

  #rangeVar(ref: Body, scope: Scope): Node {
    const table = String(ref.relname ?? '')
    const schema = typeof ref.schemaname === 'string' ? ref.schemaname : ''
    const database = typeof ref.catalogname === 'string' ? ref.catalogname : ''
    if (schema === '' && database === '' && scope.ctes.has(table)) return { RangeVar: copy(ref) as Body }
    const restriction = this.#restriction(database, schema, table)
    for (const alternative of restriction.alternatives) {
      for (const rule of alternative.rules) this.rules.add(`${alternative.policy}.${rule}`)
    }
    const alias = isBody(ref.alias) ? (copy(ref.alias) as Alias) : { aliasname: table }
    return restrictedTable(restriction, { alias, inh: ref.inh === true }, (alternative) =>
      this.#predicate(restriction, alternative),
    )
  }

  /** The same answers as the dev-mode guard: a hidden table and a missing one cannot be told apart. */
  #restriction(database: string, schema: string, table: string): TableRestriction {
    const name = [database, schema, table].filter((p) => p !== '').join('.')
    if (POSTGRES_SYSTEM_SCHEMAS.has(schema) || table.startsWith('pg_')) {
      throw new SqlRefusedError(`System catalogs are not available (${name}): use list_tables and describe_table`)
    }
    const resolved = schema === '' ? this.#options.defaultSchema : schema
    const restriction = this.#restrictions.tables.get(`${resolved}.${table}`)
    if (
      (database !== '' && database !== this.#options.database) ||
      restriction === undefined ||
      restriction.schema !== resolved ||
      restriction.table !== table ||
      restriction.alternatives.length === 0
    ) {
      throw new SqlRefusedError(`Table ${name} does not exist`)
    }
    return restriction
  }

  #predicate(restriction: TableRestriction, alternative: RowAlternative): Node | null {
    const predicate = alternative.predicate
    if (predicate === null) return null
    const ast = this.#predicates.get(predicate.sql)
    if (ast === undefined) {
      throw new GatehouseError(
        'INTERNAL',
        `The row rule of ${alternative.policy} on ${restriction.table} is not parsed`,
      )
    }
    let offset = this.#offsets.get(alternative)
    if (offset === undefined) {
      offset = this.#options.parameters + this.params.length
      this.#offsets.set(alternative, offset)
      this.params.push(...predicate.values)
    }
    return placePredicate(ast, restriction.table, offset, predicate.values.length)
  }

  /**
   * `schema.table.column` names a base table that is now a subquery called
   * `table`: it becomes `table.column` when `table` is, at the nearest level
   * that has that name, the same unaliased table (otherwise PostgreSQL's
   * answer is an error either way, and the reference is left to give it).
   */
  #columnRef(ref: Body, scope: Scope): Body {
    const fields = copy(ref.fields) as Body[]
    if (fields.length < 3 || fields.length > 4) return { ...ref, fields }
    const [database, schema, table] = fields.slice(0, -1).map((f) => String((f.String as Body | undefined)?.sval))
    if (fields.length === 4 && database !== this.#options.database) return { ...ref, fields }
    const [s, t] = fields.length === 4 ? [schema, table] : [database, schema]
    const level = [...scope.levels].reverse().find((names) => names.has(t as string))
    if (level?.get(t as string) !== `${s}.${t}`) return { ...ref, fields }
    return { ...ref, fields: fields.slice(-2) }
  }

  /**
   * A call of one of SPEC §5's SQL functions becomes a placeholder bound to
   * its value, never the value written as SQL; PostgreSQL never sees the
   * name, so no function of that name on the search path can answer instead.
   */
  #sessionCall(call: Body): Node {
    const session = this.#restrictions.session
    const resolved = sessionCall(postgresSessionCallSyntax(call), session)
    const key = sessionCallKey(resolved)
    let n = this.#sessionParameters.get(key)
    if (n === undefined) {
      n = this.#options.parameters + this.params.length + 1
      this.#sessionParameters.set(key, n)
      this.params.push(sessionValue(resolved, session))
    }
    return postgresSessionParameter(n)
  }

  /** A session function is a value, not a table: its parameter cannot stand in FROM. */
  #rangeFunction(range: Body, scope: Scope): Body {
    for (const item of Array.isArray(range.functions) ? (range.functions as Body[]) : []) {
      const [call] = ((item.List as Body | undefined)?.items as Body[] | undefined) ?? []
      const fn = isBody(call?.FuncCall) ? postgresSessionFunction(call.FuncCall) : undefined
      if (fn !== undefined) {
        throw new SqlRefusedError(`Table functions are not allowed (${fn}): query the connection's tables`)
      }
    }
    return this.#fields(range, scope)
  }

  /** An unnamed select-list call keeps the column name PostgreSQL gives it (the function's), not `text`. */
  #resTarget(target: Body, scope: Scope): Body {
    const out = this.#fields(target, scope)
    const name = typeof target.name === 'string' ? undefined : postgresSessionColumnName(target.val)
    return name === undefined ? out : { ...out, name }
  }

  #paramRef(ref: Body): Body {
    const n = Number(ref.number)
    if (this.#options.parameters === 0) {
      throw new SqlRefusedError('Placeholders ($1, ?) are not allowed in SQL: write the values into the query')
    }
    // Placeholders past the caller's own would bind the row rules' values.
    if (!(n >= 1 && n <= this.#options.parameters)) throw new SqlRefusedError(`$${n} is not a parameter of this query`)
    return { ...ref }
  }

  /** The names a FROM clause gives its items (for `#columnRef`); two base tables that would share one are refused. */
  #fromNames(from: unknown, scope: Scope): Map<string, string | null> {
    const names = new Map<string, string | null>()
    const add = (name: string, table: string | null) => {
      const other = names.get(name)
      if (other !== undefined && other !== null && table !== null && other !== table) {
        throw new SqlRefusedError(`Tables ${other} and ${table} are both called ${name} here: give them aliases`)
      }
      names.set(name, table)
    }
    const visit = (item: unknown) => {
      if (!isBody(item)) return
      const [kind, body] = Object.entries(item)[0] ?? []
      if (!isBody(body)) return
      const alias = isBody(body.alias) ? String(body.alias.aliasname) : undefined
      if (kind === 'JoinExpr') {
        visit(body.larg)
        visit(body.rarg)
        if (alias !== undefined) add(alias, null)
      } else if (kind === 'RangeVar') {
        const table = String(body.relname)
        const schema = typeof body.schemaname === 'string' ? body.schemaname : ''
        const cte = schema === '' && body.catalogname === undefined && scope.ctes.has(table)
        const key =
          alias !== undefined || cte ? null : `${schema === '' ? this.#options.defaultSchema : schema}.${table}`
        add(alias ?? table, key)
      } else if (alias !== undefined) add(alias, null)
    }
    if (Array.isArray(from)) from.forEach(visit)
    return names
  }

  #value(value: unknown, scope: Scope): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#value(v, scope))
    if (!isBody(value)) return value
    const entries = Object.entries(value)
    const [kind, body] = entries[0] ?? []
    // A node is `{ Kind: body }`; a body's own fields start with a lower-case letter.
    if (entries.length !== 1 || kind === undefined || !/^[A-Z]/.test(kind) || !isBody(body)) {
      return this.#fields(value, scope)
    }
    switch (kind) {
      case 'SelectStmt':
        return { SelectStmt: this.select(body, scope) }
      case 'RangeVar':
        return this.#rangeVar(body, scope)
      case 'ColumnRef':
        return { ColumnRef: this.#columnRef(body, scope) }
      case 'ParamRef':
        return { ParamRef: this.#paramRef(body) }
      case 'FuncCall':
        return postgresSessionFunction(body) === undefined
          ? { FuncCall: this.#fields(body, scope) }
          : this.#sessionCall(body)
      case 'RangeFunction':
        return { RangeFunction: this.#rangeFunction(body, scope) }
      case 'ResTarget':
        return { ResTarget: this.#resTarget(body, scope) }
      case 'RangeTableSample':
        // A sample of the fenced subquery is not possible, and one of the whole table would depend on hidden rows.
        throw new SqlRefusedError('TABLESAMPLE is not allowed')
      default:
        if (kind.endsWith('Stmt')) throw new SqlRefusedError('Only a single read-only SELECT statement is accepted')
        return { [kind]: this.#fields(body, scope) }
    }
  }

  #fields(body: Body, scope: Scope): Body {
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, this.#value(value, scope)]))
  }
}

/** The rewrite recurses once per AST level: thousands of nested expressions end the stack, not the process. */
export function nestingLimited<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof RangeError) throw new SqlRefusedError('The query is nested too deeply')
    throw error
  }
}

function cteNames(clause: Body): string[] {
  return (clause.ctes as Body[]).map((c) => String((c.CommonTableExpr as Body).ctename))
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy)
  if (!isBody(value)) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]))
}

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
