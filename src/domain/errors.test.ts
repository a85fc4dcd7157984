import { describe, expect, it } from 'vitest'
import {
  AUTH_ERROR_DESCRIPTIONS,
  AuthenticationError,
  ConfigError,
  ConflictError,
  ERROR_CODES,
  GatehouseError,
  InputError,
  NotFoundError,
  isGatehouseError,
} from './errors.js'
import type { AuthErrorCode } from './errors.js'

/** SPEC §4.4, verbatim: the only things ever said about a refused credential. */
const SPEC_DESCRIPTIONS: ReadonlyArray<[AuthErrorCode, string]> = [
  ['AUTH_MISSING', 'Missing bearer token'],
  ['AUTH_INVALID', 'Invalid token'],
  ['AUTH_EXPIRED', 'Token is revoked or expired'],
  ['AUTH_NO_ORGANIZATION', 'User has no organization'],
  ['AUTH_ACCOUNT_NOT_FOUND', 'Account not found'],
  ['AUTH_ACCOUNT_INACTIVE', 'Account is inactive'],
  ['AUTH_APP_DISCONNECTED', 'Application has been disconnected'],
]

describe('AuthenticationError', () => {
  it.each(SPEC_DESCRIPTIONS)('says exactly what SPEC §4.4 says for %s', (code, description) => {
    const error = new AuthenticationError(code, { detail: 'key gk_x revoked' })
    expect(error.code).toBe(code)
    expect(error.message).toBe(description)
  })

  it('has a description for every authentication code and no other', () => {
    expect(Object.keys(AUTH_ERROR_DESCRIPTIONS).sort()).toEqual(SPEC_DESCRIPTIONS.map(([c]) => c).sort())
  })

  it('keeps the detail out of the public message', () => {
    const error = new AuthenticationError('AUTH_EXPIRED', { detail: 'gk_secretprefix revoked' })
    expect(error.message).not.toContain('gk_')
    expect(error.detail).toBe('gk_secretprefix revoked')
  })
})

describe('error classes', () => {
  it('carries stable codes that are all in ERROR_CODES', () => {
    const errors = [
      new ConfigError('g.yaml', 'store.url', 'expected a string'),
      new InputError('bad', 'field'),
      new NotFoundError('Organization acme'),
      new ConflictError('taken'),
      new AuthenticationError('AUTH_INVALID'),
    ]
    for (const error of errors) {
      expect(isGatehouseError(error)).toBe(true)
      expect(ERROR_CODES).toContain(error.code)
    }
  })

  it('names what was not found', () => {
    expect(new NotFoundError('Organization acme').message).toBe('Organization acme not found')
  })

  it('names the file, the key path and what was expected in a config error', () => {
    expect(new ConfigError('g.yaml', 'store.url', 'expected a string').message).toBe(
      'g.yaml: store.url: expected a string',
    )
    expect(new ConfigError('g.yaml', '', 'config file not found').message).toBe('g.yaml: (root): config file not found')
  })

  it('keeps the cause for logs', () => {
    const cause = new Error('driver said no')
    expect(new GatehouseError('INTERNAL', 'failed', { cause }).cause).toBe(cause)
  })

  it('does not take a plain Error for a Gatehouse error', () => {
    expect(isGatehouseError(new Error('x'))).toBe(false)
    expect(isGatehouseError({ code: 'AUTH_INVALID', message: 'Invalid token' })).toBe(false)
  })
})
