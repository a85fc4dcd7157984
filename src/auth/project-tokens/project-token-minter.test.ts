import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { Store } from '../../store/store.js'
import { GatehouseError } from '../../domain/errors.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import { parsePermissions } from '../../domain/permissions.js'
import { SigningKeys } from '../tokens/signing-keys.js'
import { ProjectSecretService } from './project-secret-service.js'
import { ProjectTokenMinter } from './project-token-minter.js'

type RecordedEvent = Parameters<AuditSink['record']>[0]

const ISSUER = 'https://gatehouse.example'
let store: Store
let minter: ProjectTokenMinter
let counter = 0
const events: RecordedEvent[] = []
const audit: AuditSink = { record: (e) => void events.push(e) }

beforeAll(async () => {
  store = Store.open('sqlite::memory:')
  await store.migrate()
  const keys = new SigningKeys(store.signingKeys, { issuer: ISSUER, audience: `${ISSUER}/mcp` })
  minter = new ProjectTokenMinter(store, keys, audit)
})
afterAll(async () => {
  await store.close()
})
beforeEach(() => {
  events.length = 0
})

/** An org with a project and a secret whose ceiling is `max`; the request to mint with it. */
async function withSecret(max: string): Promise<{ orgId: string; body: Record<string, unknown> }> {
  counter += 1
  const org = await store.orgs.create(`minter-${counter}`)
  const project = await store.projects.create(org.id, 'analytics')
  const ceiling = parsePermissions(max)
  if (!ceiling.ok) throw new Error(ceiling.error)
  const { secret } = await new ProjectSecretService(store, audit).create({
    orgId: org.id,
    project: 'analytics',
    maxPermissions: ceiling.value,
    allowOrgUsers: false,
    createdBy: 'test',
  })
  events.length = 0
  return { orgId: org.id, body: { type: 'project', projectId: project.id, projectSecret: secret } }
}

async function refusal(promise: Promise<unknown>): Promise<GatehouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(GatehouseError)
  return error as GatehouseError
}

describe('ProjectTokenMinter', () => {
  it('cuts the default (read) to the ceiling', async () => {
    const { body } = await withSecret('data:read,sql:read')
    const { accessToken } = await minter.mint(body, { via: 'cli' })
    expect(decodeJwt(accessToken).permissions).toEqual({ data: ['read'] })
  })

  it('refuses a default that leaves nothing within the ceiling, and says how to ask', async () => {
    const { body } = await withSecret('sql:read')
    const error = await refusal(minter.mint(body, { via: 'cli' }))
    expect(error.code).toBe('AUTHZ_DENIED')
    expect(error.message).toBe(
      "permissions: the default (read) is outside this project secret's ceiling (sql:read); ask for permissions within it",
    )
    expect((await minter.mint({ ...body, permissions: 'sql:read' }, { via: 'cli' })).tokenType).toBe('Bearer')
  })

  it('refuses an organization that was deactivated, in its own audit trail', async () => {
    const { orgId, body } = await withSecret('read')
    await store.orgs.setStatus(orgId, 'inactive')
    const error = await refusal(minter.mint(body, { via: 'http', ip: '203.0.113.9' }))
    expect(error).toMatchObject({ code: 'AUTHZ_DENIED', message: "This project's organization is inactive" })
    expect(events).toEqual([
      {
        type: 'auth.failed',
        orgId,
        data: expect.objectContaining({ reason: 'AUTHZ_DENIED', endpoint: 'token', via: 'http', ip: '203.0.113.9' }),
      },
    ])
  })

  it('refuses an empty permission list', async () => {
    const { body } = await withSecret('read')
    const error = await refusal(minter.mint({ ...body, permissions: {} }, { via: 'cli' }))
    expect(error).toMatchObject({ code: 'INPUT_INVALID', message: 'permissions: at least one permission' })
  })

  it('mints a token of no user at all when neither an org user nor a tenant is named', async () => {
    const { body } = await withSecret('read')
    const { accessToken } = await minter.mint(body, { via: 'cli' })
    expect(decodeJwt(accessToken).sub).toBe(`project:${body.projectId as string}`)
    expect(events.map((e) => e.type)).toEqual(['token.issued'])
  })
})
