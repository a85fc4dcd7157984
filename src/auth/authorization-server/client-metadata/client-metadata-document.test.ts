import { describe, expect, it } from 'vitest'
import { parseClientMetadataDocument } from './client-metadata-document.js'

const CLIENT_ID = 'https://client.example/metadata.json'
const valid = { client_id: CLIENT_ID, client_name: 'Example', redirect_uris: ['https://client.example/callback'] }

describe('parseClientMetadataDocument', () => {
  it('accepts a minimal document and keeps unknown members', () => {
    const doc = parseClientMetadataDocument({ ...valid, software_id: 'x' }, CLIENT_ID)
    expect(doc).toMatchObject({ client_name: 'Example', software_id: 'x' })
  })

  it.each(['none', 'private_key_jwt'])('accepts token_endpoint_auth_method %s', (method) => {
    const doc = parseClientMetadataDocument({ ...valid, token_endpoint_auth_method: method }, CLIENT_ID)
    expect(doc.token_endpoint_auth_method).toBe(method)
  })

  it.each([
    ['an array', [valid], 'is not a JSON object'],
    ['null', null, 'is not a JSON object'],
    ['another client_id', { ...valid, client_id: `${CLIENT_ID}x` }, 'client_id does not match the URL'],
    ['no client_id', { redirect_uris: valid.redirect_uris }, 'client_id does not match the URL'],
    ['no redirect_uris', { client_id: CLIENT_ID }, 'redirect_uris'],
    ['empty redirect_uris', { ...valid, redirect_uris: [] }, 'redirect_uris'],
    ['a redirect_uri that is not a URL', { ...valid, redirect_uris: ['nope'] }, 'redirect_uris.0'],
    [
      'client_secret_basic',
      { ...valid, token_endpoint_auth_method: 'client_secret_basic' },
      'token_endpoint_auth_method',
    ],
    [
      'client_secret_post',
      { ...valid, token_endpoint_auth_method: 'client_secret_post' },
      'token_endpoint_auth_method',
    ],
    ['a client_secret', { ...valid, client_secret: 's3cret' }, 'client_secret: must not be present'],
    [
      'jwks and jwks_uri',
      { ...valid, jwks: { keys: [] }, jwks_uri: 'https://client.example/jwks' },
      'jwks and jwks_uri',
    ],
    ['a non-string client_name', { ...valid, client_name: 42 }, 'client_name'],
  ])('refuses %s', (_name, json, message) => {
    expect(() => parseClientMetadataDocument(json, CLIENT_ID)).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', message: expect.stringContaining(message) }),
    )
  })

  it('never repeats a value from the document in its message', () => {
    const hostile = '<script>alert(1)</script>'
    for (const json of [
      { ...valid, token_endpoint_auth_method: hostile },
      { ...valid, redirect_uris: [hostile] },
      { ...valid, client_id: hostile },
    ]) {
      expect(() => parseClientMetadataDocument(json, CLIENT_ID)).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('script') }),
      )
    }
  })
})
