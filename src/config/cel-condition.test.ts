import { describe, expect, it } from 'vitest'
import { GatehouseError } from '../domain/errors.js'
import { CelEnvironment } from './cel-condition.js'

const env = CelEnvironment.of({
  user: { role: 'string', groups: 'list<string>', attributes: 'map<string, dyn>' },
  limit: 'int',
  ratio: 'double',
  day: 'string',
})

const context = {
  user: { role: 'member', groups: ['emea'], attributes: { tier: 'gold', level: 3, tags: ['a'] } },
  limit: 60,
  ratio: 0.5,
  day: '2024-05-01',
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return error instanceof GatehouseError ? error.code : 'not a GatehouseError'
  }
  return undefined
}

describe('CelEnvironment.compile', () => {
  it.each([
    ["user.role != 'admin' && limit > 50", true],
    ["user.role == 'admin' || limit <= 50", false],
    ["'emea' in user.groups", true],
    ["user.attributes.tier == 'gold'", true],
    ['user.attributes.level >= 3', true],
    ['ratio < 1.0', true],
    ["day >= '2024-01-01'", true],
    ["size(user.groups) == 1 && user.role.startsWith('mem')", true],
  ])('compiles once and evaluates %s to %s with a context', (source, expected) => {
    expect(env.compile(source).evaluate(context)).toBe(expected)
  })

  it('passes integer parameters given as JS numbers to CEL as integers', () => {
    expect(env.compile('limit == 60').evaluate(context)).toBe(true)
    expect(env.compile('limit + 1 == 61').evaluate(context)).toBe(true)
  })

  it.each([
    ['a syntax error', 'limit >', /^syntax error: Unexpected token: EOF at character 8 of "limit >"$/],
    ['an unknown variable', 'limt > 50', /^type error: Unknown variable: limt at character 1/],
    ['an unknown field of a typed variable', "user.rol == 'admin'", /^type error: No such key: rol at character 6/],
    ['an operator on the wrong types', "limit + 'x' == 1", /^type error: no such overload: int \+ string/],
    ['a result that is not a boolean', 'limit + 1', /^the condition is of type int; expected a boolean$/],
  ])('refuses %s before anything runs, with the position', (_what, source, message) => {
    let caught: unknown
    try {
      env.compile(source)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(GatehouseError)
    expect((caught as GatehouseError).code).toBe('INPUT_INVALID')
    expect((caught as GatehouseError).message).toMatch(message)
  })

  it('refuses an expression larger than a condition needs to be', () => {
    expect(codeOf(() => env.compile(Array.from({ length: 600 }, () => 'limit').join(' + ') + ' > 0'))).toBe(
      'INPUT_INVALID',
    )
  })

  it('accepts a dyn result at compile time: only evaluation can tell whether it is a boolean', () => {
    expect(
      env
        .compile('user.attributes.flag')
        .evaluate({ ...context, user: { ...context.user, attributes: { flag: true } } }),
    ).toBe(true)
  })
})

describe('CelCondition.evaluate fails closed', () => {
  it.each([
    ['a missing map key', 'user.attributes.region == "EU"', context],
    ['a value of the wrong type at run time', "user.attributes.level > 'a'", context],
    ['a non-boolean dyn result', 'user.attributes.tier', context],
    ['a function that fails (division by zero)', 'limit / 0 == 1', context],
    ['a function that fails (bad conversion)', 'int(user.role) == 1', context],
    ['a function that fails (bad regular expression)', "user.role.matches('[')", context],
    ['a variable missing from the context', 'limit > 50', { ...context, limit: undefined }],
    ['a variable of the wrong type', 'limit > 50', { ...context, limit: '60' }],
    [
      'a typed field missing from the context',
      "user.role == 'member'",
      { ...context, user: { groups: [], attributes: {} } },
    ],
  ])('%s throws AUTHZ_DENIED', (_what, source, ctx) => {
    expect(codeOf(() => env.compile(source).evaluate(ctx))).toBe('AUTHZ_DENIED')
  })

  it('keeps the cause for the audit log and says nothing of it publicly', () => {
    let caught: GatehouseError | undefined
    try {
      env.compile('user.attributes.region == "EU"').evaluate(context)
    } catch (error) {
      caught = error as GatehouseError
    }
    expect(caught?.message).toBe('The policy condition could not be evaluated')
    expect(caught?.detail).toBe('user.attributes.region == "EU": No such key: region')
  })
})

describe('CelEnvironment.with', () => {
  it('adds variables without changing the environment it extends', () => {
    const extended = env.with({ extra: 'bool' })
    expect(extended.compile('extra && limit > 1').evaluate({ ...context, extra: true })).toBe(true)
    expect(codeOf(() => env.compile('extra'))).toBe('INPUT_INVALID')
  })

  it.each(['in', 'true', 'null', 'namespace', 'package', 'int', 'user'])(
    'refuses %s as a variable name, naming it',
    (name) => {
      let caught: unknown
      try {
        env.with({ [name]: 'int' })
      } catch (error) {
        caught = error
      }
      expect((caught as GatehouseError).code).toBe('INPUT_INVALID')
      expect((caught as GatehouseError).message).toContain(`"${name}" cannot be a variable of a CEL condition`)
    },
  )
})
