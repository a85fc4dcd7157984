import { describe, expect, it } from 'vitest'
import { parseClientIdUrl } from './client-id-url.js'

describe('parseClientIdUrl', () => {
  it.each(['https://client.example/metadata.json', 'https://client.example:8443/oauth/client?v=1'])(
    'accepts %s',
    (clientId) => {
      expect(parseClientIdUrl(clientId).href).toBe(clientId)
    },
  )

  it.each([
    ['not a url', 'is not a URL'],
    ['http://client.example/metadata.json', 'must be an https URL'],
    ['ftp://client.example/metadata.json', 'must be an https URL'],
    ['https://client.example/', 'must have a path other than "/"'],
    ['https://client.example', 'must have a path other than "/"'],
    ['https://client.example/metadata.json#x', 'must not contain a fragment'],
    ['https://client.example/metadata.json#', 'must not contain a fragment'],
    ['https://user:pw@client.example/metadata.json', 'must not contain a username or password'],
    ['https://user@client.example/metadata.json', 'must not contain a username or password'],
    ['https://client.example/a/../metadata.json', 'must not contain "." or ".." path segments'],
    ['https://client.example/./metadata.json', 'must not contain "." or ".." path segments'],
    ['https://client.example/a/%2E%2e/metadata.json', 'must not contain "." or ".." path segments'],
    ['https://client.example/a\\..\\metadata.json', 'must not contain "." or ".." path segments'],
    ['https://CLIENT.example/metadata.json', 'must be a normalized URL'],
    ['https://client.example:443/metadata.json', 'must be a normalized URL'],
  ])('refuses %s: %s', (clientId, message) => {
    expect(() => parseClientIdUrl(clientId)).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', field: 'client_id', message: expect.stringContaining(message) }),
    )
  })

  it('permits http only when asked to, for tests', () => {
    expect(parseClientIdUrl('http://127.0.0.1:1234/client', { allowHttp: true }).protocol).toBe('http:')
  })
})
