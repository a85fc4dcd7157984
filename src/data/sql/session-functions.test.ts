import { describe, expect, it } from 'vitest'
import type { SessionValues } from './restrictions.js'
import { sessionCall, sessionCallKey, sessionFunctionName, sessionValue } from './session-functions.js'
import type { SessionCallSyntax } from './session-functions.js'

const SESSION: SessionValues = {
  username: 'ada',
  userEmail: 'ada@example.com',
  userId: 'u_1',
  orgId: 'org_1',
  tenantId: null,
  headers: new Map([['x-region', 'EMEA']]),
}

const call = (name: string, args: (string | undefined)[] = [], more: Partial<SessionCallSyntax> = {}) => ({
  name,
  qualifier: '',
  args,
  aggregate: false,
  ...more,
})

describe('sessionFunctionName', () => {
  it.each(['get_username', 'GET_USERNAME', 'Get_Request_Header', 'get_user_external_token'])(
    'knows %s, in any case',
    (name) => {
      expect(sessionFunctionName(name)).toBe(name.toLowerCase())
    },
  )

  it.each(['get_user', 'username', 'toString', 'constructor', '__proto__', 'get_usernamE\u0131', 'get_us\u212Aername'])(
    'knows nothing else: %s',
    (name) => {
      expect(sessionFunctionName(name)).toBeUndefined()
    },
  )
})

describe('sessionCall', () => {
  it.each<[string, SessionCallSyntax, SessionValues | undefined, string]>([
    [
      'a qualified call',
      call('get_username', [], { qualifier: 'main' }),
      SESSION,
      'get_username() cannot be qualified (main.get_username): call it as get_username()',
    ],
    ['any call without a session', call('get_org_id'), undefined, 'get_org_id() is not available here'],
    [
      'the external token outside custom tools',
      call('get_user_external_token'),
      SESSION,
      'get_user_external_token() is not available here',
    ],
    [
      'an aggregate or window form',
      call('get_username', [], { aggregate: true }),
      SESSION,
      'get_username() is not an aggregate or window function: call it plainly',
    ],
    [
      'an argument to a function that takes none',
      call('get_user_id', ['x']),
      SESSION,
      'get_user_id() takes no arguments: get_user_id()',
    ],
    [
      'a header call without a name',
      call('get_request_header'),
      SESSION,
      "get_request_header() takes one argument: get_request_header('<header name>')",
    ],
    [
      'a header call with two names',
      call('get_request_header', ['a', 'b']),
      SESSION,
      "get_request_header() takes one argument: get_request_header('<header name>')",
    ],
    [
      'a header name that is not a literal',
      call('get_request_header', [undefined]),
      SESSION,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ],
    [
      'a header name that is not a field name',
      call('get_request_header', ['x region']),
      SESSION,
      "'x region' is not an HTTP header name",
    ],
    [
      'a header name outside ASCII (a Kelvin sign folds to k)',
      call('get_request_header', ['coo\u212Aie']),
      SESSION,
      "'coo\u212Aie' is not an HTTP header name",
    ],
    [
      'Authorization',
      call('get_request_header', ['Authorization']),
      SESSION,
      'The header Authorization is never available to SQL',
    ],
  ])('refuses %s', (_, syntax, session, message) => {
    expect(() => sessionCall(syntax, session)).toThrow(expect.objectContaining({ code: 'SQL_REFUSED', message }))
  })

  it('accepts each function plainly called, the header by its lower-case name', () => {
    expect(sessionCall(call('GET_USERNAME'), SESSION)).toEqual({ fn: 'get_username' })
    expect(sessionCall(call('get_request_header', ['X-Region']), SESSION)).toEqual({
      fn: 'get_request_header',
      header: 'x-region',
    })
    expect(sessionCall(call('get_user_external_token'), { ...SESSION, externalToken: null })).toEqual({
      fn: 'get_user_external_token',
    })
  })
})

describe('sessionValue', () => {
  it.each<[string, Parameters<typeof sessionValue>[0], string | null]>([
    ['get_username()', { fn: 'get_username' }, 'ada'],
    ['get_user_email()', { fn: 'get_user_email' }, 'ada@example.com'],
    ['get_user_id()', { fn: 'get_user_id' }, 'u_1'],
    ['get_org_id()', { fn: 'get_org_id' }, 'org_1'],
    ['get_tenant_id() (none)', { fn: 'get_tenant_id' }, null],
    ['a header the request has', { fn: 'get_request_header', header: 'x-region' }, 'EMEA'],
    ['a header the request lacks', { fn: 'get_request_header', header: 'x-team' }, null],
  ])('returns %s', (_, c, value) => {
    expect(sessionValue(c, SESSION)).toBe(value)
  })

  it('refuses to bind a call where the function is not available (a plan cached for another caller)', () => {
    expect(() => sessionValue({ fn: 'get_username' }, undefined)).toThrow('get_username() is not available here')
    expect(() => sessionValue({ fn: 'get_user_external_token' }, SESSION)).toThrow(
      'get_user_external_token() is not available here',
    )
    expect(sessionValue({ fn: 'get_user_external_token' }, { ...SESSION, externalToken: 'tok' })).toBe('tok')
  })
})

describe('sessionCallKey', () => {
  it('is one key per function and header, so repeated calls share a parameter', () => {
    const keys = [
      { fn: 'get_username' },
      { fn: 'get_username' },
      { fn: 'get_request_header', header: 'x-a' },
      { fn: 'get_request_header', header: 'x-b' },
    ] as const
    expect(new Set(keys.map(sessionCallKey)).size).toBe(3)
  })
})
