import { describe, expect, it } from 'vitest'
import { HTTP_ERRORS, httpErrorResponse } from './error-response.js'
import {
  AUTH_ERROR_DESCRIPTIONS,
  AuthenticationError,
  ERROR_CODES,
  GatehouseError,
  InsufficientScopeError,
} from '../domain/errors.js'
import type { AuthErrorCode } from '../domain/errors.js'
import { TOOL_ERROR_EXPOSED } from '../mcp/tool-error.js'

const challenge = { resourceMetadata: 'https://g.example/.well-known/oauth-protected-resource/mcp', scope: 'mcp:read' }

describe('the HTTP error table', () => {
  it('has exactly one row per error code, at the edge and in the tool mapping', () => {
    expect(Object.keys(HTTP_ERRORS).sort()).toEqual([...ERROR_CODES].sort())
    expect(Object.keys(TOOL_ERROR_EXPOSED).sort()).toEqual([...ERROR_CODES].sort())
  })

  it.each(Object.keys(AUTH_ERROR_DESCRIPTIONS) as AuthErrorCode[])(
    'answers %s with 401, the SPEC description and a recoverable challenge',
    (code) => {
      const answer = httpErrorResponse(new AuthenticationError(code, { detail: 'secret detail' }), challenge)
      expect(answer.status).toBe(401)
      expect(answer.body.error_description).toBe(AUTH_ERROR_DESCRIPTIONS[code])
      expect(answer.headers['www-authenticate']).toContain(`resource_metadata="${challenge.resourceMetadata}"`)
      expect(answer.headers['www-authenticate']).toContain('scope="mcp:read"')
      expect(JSON.stringify(answer)).not.toContain('secret detail')
    },
  )

  it('names no error in the challenge when there was no credential at all (RFC 6750 §3.1)', () => {
    const answer = httpErrorResponse(new AuthenticationError('AUTH_MISSING'), challenge)
    expect(answer.headers['www-authenticate']).not.toContain('error=')
  })

  it('names the scope that is needed in an insufficient_scope challenge', () => {
    const answer = httpErrorResponse(new InsufficientScopeError('mcp:sql'), challenge)
    expect(answer.status).toBe(403)
    expect(answer.headers['www-authenticate']).toContain('error="insufficient_scope"')
    expect(answer.headers['www-authenticate']).toContain('scope="mcp:sql"')
  })

  it.each([
    ['an unexpected exception', new Error('connection string postgres://u:hunter2@db')],
    ['an internal Gatehouse error', new GatehouseError('INTERNAL', 'stack details')],
    ['a store outage', new GatehouseError('STORE_UNAVAILABLE', 'pool exhausted at db.internal')],
  ])('answers %s with a generic message that reveals nothing', (_, error) => {
    const answer = httpErrorResponse(error, challenge)
    expect(answer.status).toBeGreaterThanOrEqual(500)
    expect(answer.body.error_description).toBe('The server failed to handle the request')
    expect(answer.headers['www-authenticate']).toBeUndefined()
  })

  it('escapes quotes in challenge parameters', () => {
    const answer = httpErrorResponse(new GatehouseError('ORIGIN_NOT_ALLOWED', 'Origin "x" not allowed'), challenge)
    expect(answer.headers['www-authenticate']).toContain('error_description="Origin \\"x\\" not allowed"')
  })
})
