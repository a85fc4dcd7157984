import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../test/support/test-stores.js'
import { Store } from '../store/store.js'
import type { AuditDecision } from './audit-event.js'
import { AuditWriter } from './audit-writer.js'
import { readAuditLog } from './audit-log.js'

describe.each(BACKENDS)('readAuditLog on %s', (backend) => {
  let location: TestStoreUrl
  let store: Store

  beforeEach(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    await store.migrate()
    const writer = new AuditWriter(store, { flushIntervalMs: 3_600_000 })
    const calls: [string, string, string, AuditDecision][] = [
      ['org_1', 'usr_a', 'run_sql', 'allow'],
      ['org_1', 'usr_b', 'query', 'deny'],
      ['org_1', 'usr_a', 'query', 'error'],
      ['org_2', 'usr_c', 'run_sql', 'allow'],
    ]
    calls.forEach(([orgId, user_id, tool, decision], i) =>
      writer.record({
        type: 'mcp.call',
        orgId,
        at: 1_000 + i,
        data: {
          tool,
          arguments: {},
          decision,
          duration_ms: 1,
          principal: { kind: 'oauth', user_id, email: `${user_id}@example.com` },
        },
      }),
    )
    writer.record({ type: 'auth.failed', at: 2_000, data: { reason: 'AUTH_INVALID', ip: '10.0.0.1' } })
    writer.record({
      type: 'key.created',
      orgId: 'org_1',
      at: 2_001,
      data: { key_id: 'k1', key_prefix: 'gk_k1', user_id: 'usr_a', name: 'ci', created_by: 'usr_a', expires_at: null },
    })
    await writer.close()
  })

  afterEach(async () => {
    await store.close()
    await location.dispose()
  })

  const times = async (filter: Parameters<typeof readAuditLog>[1]) =>
    (await readAuditLog(store, filter)).map((e) => e.at)

  it('lists records newest first with their data parsed', async () => {
    const entries = await readAuditLog(store)
    expect(entries.map((e) => e.at)).toEqual([2_001, 2_000, 1_003, 1_002, 1_001, 1_000])
    expect(entries[1]).toMatchObject({ type: 'auth.failed', org_id: null, data: { reason: 'AUTH_INVALID' } })
  })

  it.each([
    ['org', { orgId: 'org_2' }, [1_003]],
    ['since', { since: 1_002 }, [2_001, 2_000, 1_003, 1_002]],
    ['type', { type: 'auth.failed' }, [2_000]],
    ['tool', { tool: 'query' }, [1_002, 1_001]],
    ['decision (a refused authentication is a denial)', { decision: 'deny' as const }, [2_000, 1_001]],
    ['user id', { user: 'usr_a' }, [2_001, 1_002, 1_000]],
    ['user email', { user: 'usr_b@example.com' }, [1_001]],
    ['limit', { limit: 2 }, [2_001, 2_000]],
    ['several filters at once', { orgId: 'org_1', user: 'usr_a', tool: 'query', limit: 5 }, [1_002]],
  ])('filters by %s', async (_what, filter, expected) => {
    expect(await times(filter)).toEqual(expected)
  })
})
