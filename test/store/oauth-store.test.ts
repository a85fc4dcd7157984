import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storeAdapter, hashId } from '../../src/auth/authorization-server/store-adapter.js'
import { ClientRegistrations } from '../../src/auth/authorization-server/client-registrations.js'
import { Store } from '../../src/store/store.js'
import { BACKENDS, freshStoreUrl } from '../support/test-stores.js'
import type { TestStoreUrl } from '../support/test-stores.js'
import { obtainTokens, refresh, startOAuthWorld } from '../support/oauth-world.js'

describe.each(BACKENDS)('the authorization server on the %s store', (backend) => {
  let location: TestStoreUrl
  let store: Store
  beforeAll(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    await store.migrate()
  })
  afterAll(async () => {
    await store.close()
    await location.dispose()
  })

  it('keeps objects by a hash of their id, gives the id back, and forgets expired ones', async () => {
    const Adapter = storeAdapter(store.oauth)
    const codes = new Adapter('AuthorizationCode')
    await codes.upsert('code-1', { jti: 'code-1', grantId: 'g1', kind: 'AuthorizationCode' }, 60)
    await codes.upsert('code-2', { jti: 'code-2', grantId: 'g1', kind: 'AuthorizationCode' }, 60)
    await store.db
      .updateTable('oauth_objects')
      .set({ expires_at: Date.now() - 1 })
      .where('id_hash', '=', hashId('code-2'))
      .execute()
    const row = await store.oauth.findObject('AuthorizationCode', hashId('code-1'))
    expect(row?.payload).not.toContain('code-1')
    expect(await codes.find('code-1')).toMatchObject({ jti: 'code-1', grantId: 'g1' })
    expect(await codes.find('code-2')).toBeUndefined()
    await codes.consume('code-1')
    expect((await codes.find('code-1'))?.consumed).toEqual(expect.any(Number))
    await codes.destroy('code-1')
    expect(await codes.find('code-1')).toBeUndefined()
  })

  it('keeps one refresh chain per grant: the previous token is given back once while its successor is unused', async () => {
    const tokens = new (storeAdapter(store.oauth))('RefreshToken')
    const payload = (id: string) => ({ jti: id, grantId: 'chain-1', kind: 'RefreshToken' })
    await tokens.upsert('rt-1', payload('rt-1'), 3600)
    await tokens.consume('rt-1')
    await tokens.upsert('rt-2', payload('rt-2'), 3600)
    // rt-2 never used: rt-1 is accepted again and rt-2 is gone.
    expect((await tokens.find('rt-1'))?.consumed).toBeUndefined()
    expect(await tokens.find('rt-2')).toBeUndefined()
    await tokens.consume('rt-1')
    await tokens.upsert('rt-3', payload('rt-3'), 3600)
    await tokens.consume('rt-3')
    await tokens.upsert('rt-4', payload('rt-4'), 3600)
    // rt-3 was used, so rt-1 is two generations old: reported consumed (the provider then revokes the grant).
    expect((await tokens.find('rt-1'))?.consumed).toEqual(expect.any(Number))
    await tokens.revokeByGrantId('chain-1')
    expect(await tokens.find('rt-4')).toBeUndefined()
    expect(await store.oauth.chain('chain-1')).toBeUndefined()
  })

  it('stores a client secret hashed and never the secret', async () => {
    const clients = new (storeAdapter(store.oauth))('Client')
    await clients.upsert(
      'cl-1',
      { client_id: 'cl-1', client_secret: 'super-secret-value', redirect_uris: ['https://a.example/cb'] },
      0,
    )
    const row = await store.oauth.findClient('cl-1')
    expect(JSON.stringify(row)).not.toContain('super-secret-value')
    expect(await clients.find('cl-1')).toMatchObject({ client_id: 'cl-1', client_secret: hashId('super-secret-value') })
  })

  it('reaps dynamic clients that never completed a grant after the TTL, and keeps the others', async () => {
    const now = Date.now()
    const base = {
      metadata: '{}',
      secret_hash: null,
      registered_from: '10.0.0.1',
      fingerprint: null,
      first_grant_at: null,
    }
    await store.oauth.insertClient({
      ...base,
      client_id: 'old-unused',
      origin: 'dynamic',
      created_at: now - 48 * 3600_000,
    })
    await store.oauth.insertClient({
      ...base,
      client_id: 'old-used',
      origin: 'dynamic',
      created_at: now - 48 * 3600_000,
      first_grant_at: now - 47 * 3600_000,
    })
    await store.oauth.insertClient({
      ...base,
      client_id: 'old-operator',
      origin: 'operator',
      created_at: now - 48 * 3600_000,
    })
    await store.oauth.insertClient({ ...base, client_id: 'new-unused', origin: 'dynamic', created_at: now - 3600_000 })
    expect(await new ClientRegistrations(store.oauth).reap(now)).toBe(1)
    const left = (await store.oauth.listClients()).map((c) => c.client_id)
    expect(left).toEqual(expect.arrayContaining(['old-used', 'old-operator', 'new-unused']))
    expect(left).not.toContain('old-unused')
  })

  it('runs the code flow and a refresh on this store', async () => {
    const own = await freshStoreUrl(backend)
    const world = await startOAuthWorld({}, { storeUrl: own.url })
    try {
      const tokens = await obtainTokens(world)
      const rotated = await refresh(world, tokens.clientId, tokens.refreshToken)
      expect(rotated.status).toBe(200)
    } finally {
      await world.close()
      await own.dispose()
    }
  })
})
