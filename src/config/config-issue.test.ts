import { describe, expect, it } from 'vitest'
import { ConfigError } from '../domain/errors.js'
import { configErrorFromIssues, formatKeyPath } from './config-issue.js'

describe('formatKeyPath', () => {
  it.each([
    [[], ''],
    [['server', 'port'], 'server.port'],
    [['auth', 'providers', 1, 'type'], 'auth.providers[1].type'],
    [['claims', 'role', 'map', 'gatehouse-admin'], 'claims.role.map.gatehouse-admin'],
    [['map', 'a.b c'], 'map["a.b c"]'],
    [[0, 'id'], '[0].id'],
  ])('formats %j as %j', (segments, expected) => {
    expect(formatKeyPath(segments)).toBe(expected)
  })
})

describe('configErrorFromIssues', () => {
  it('puts one line per issue in the message and keeps the first path', () => {
    const error = configErrorFromIssues('gatehouse.yaml', [
      { path: 'server.port', message: 'expected an integer' },
      { path: '', message: 'expected a mapping' },
    ])
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.path).toBe('server.port')
    expect(error.message).toBe(
      'gatehouse.yaml: server.port: expected an integer\ngatehouse.yaml: (root): expected a mapping',
    )
  })
})
