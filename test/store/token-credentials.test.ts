import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../../src/store/store.js'
import { SigningKeys } from '../../src/auth/tokens/signing-keys.js'
import { TOKEN_TYPES } from '../../src/auth/tokens/token-types.js'
import { ProjectSecretService } from '../../src/auth/project-tokens/project-secret-service.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import { BACKENDS, freshStoreUrl } from '../support/test-stores.js'
import type { TestStoreUrl } from '../support/test-stores.js'

/** Past 2^32 ms, so a 32-bit column or a bigint read back as text would show. */
const T0 = 1_767_225_600_123
const ISSUER = 'https://gatehouse.example'

describe.each(BACKENDS)('signing keys and project secrets on %s', (backend) => {
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

  const keys = () => new SigningKeys(store.signingKeys, { issuer: ISSUER, audience: `${ISSUER}/mcp` })

  it('creates one current key when several instances use the keys for the first time at once', async () => {
    const instances = [keys(), keys(), keys(), keys()]
    const tokens = await Promise.all(
      instances.map((k) => k.sign({ sub: 'x' }, { typ: TOKEN_TYPES.project, expiresAt: T0 + 60_000, now: T0 })),
    )
    const rows = await store.signingKeys.list()
    expect(rows).toHaveLength(1)
    for (const token of tokens) expect(await keys().verify(token, { typ: TOKEN_TYPES.project, now: T0 })).toBeTruthy()
  })

  it('keeps one current key through rotations, with the retirement time intact', async () => {
    const k = keys()
    await k.rotate(T0 + 1000)
    await k.rotate(T0 + 2000)
    const rows = await store.signingKeys.list()
    expect(rows.filter((r) => r.retired_at === null)).toHaveLength(1)
    expect(rows.map((r) => (r.retired_at === null ? null : Number(r.retired_at))).sort()).toEqual(
      [T0 + 1000, T0 + 2000, null].sort(),
    )
  })

  it('bumps the credentials counter when a secret is revoked or rotated, not when one is created', async () => {
    const org = await store.orgs.create('acme')
    const project = await store.projects.create(org.id, 'analytics')
    const read = parsePermissions('read')
    if (!read.ok) throw new Error(read.error)
    const service = new ProjectSecretService(store, { record() {} })
    const input = {
      orgId: org.id,
      project: 'analytics',
      maxPermissions: read.value,
      allowOrgUsers: false,
      createdBy: 't',
    }

    const before = await store.credentialEpoch()
    const first = await service.create(input, T0)
    expect(await store.credentialEpoch()).toBe(before)
    expect(first.view).toMatchObject({ projectId: project.id, createdAt: T0, revokedAt: null })

    const rotated = await service.rotate(org.id, first.view.id, 't', T0 + 1)
    expect(await store.credentialEpoch()).toBe(before + 1)
    expect(rotated.revoked).toMatchObject({ id: first.view.id, revokedAt: T0 + 1, status: 'revoked' })

    await service.revoke(org.id, rotated.view.id, 't', T0 + 2)
    expect(await store.credentialEpoch()).toBe(before + 2)
    // Revoking again changes nothing and keeps the first time.
    expect((await service.revoke(org.id, rotated.view.id, 't', T0 + 3)).revokedAt).toBe(T0 + 2)
    expect(await store.credentialEpoch()).toBe(before + 2)

    // Another org's secret does not exist for this one.
    const other = await store.orgs.create('globex')
    await expect(service.revoke(other.id, first.view.id, 't')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('deletes a project’s secrets with the project', async () => {
    const org = await store.orgs.create('initech')
    const project = await store.projects.create(org.id, 'analytics')
    const read = parsePermissions('read')
    if (!read.ok) throw new Error(read.error)
    const { view } = await new ProjectSecretService(store, { record() {} }).create({
      orgId: org.id,
      project: project.id,
      maxPermissions: read.value,
      allowOrgUsers: false,
      createdBy: 't',
    })
    await store.db.deleteFrom('projects').where('id', '=', project.id).execute()
    expect(await store.projectSecrets.findById(view.id)).toBeUndefined()
  })
})
