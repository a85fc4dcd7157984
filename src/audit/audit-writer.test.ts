import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../test/support/test-stores.js'
import { Store } from '../store/store.js'
import { GENESIS_HASH, hashStoredRecord } from './audit-chain.js'
import type { AuditEvent } from './audit-event.js'
import { AuditWriter } from './audit-writer.js'
import { verifyAudit } from './audit-verify.js'

// Large enough that the timer never fires inside a test unless the test says so.
const NO_TIMER = 3_600_000

function call(i: number): AuditEvent {
  return {
    type: 'mcp.call',
    orgId: 'org_1',
    at: 1_700_000_000_000 + i,
    data: {
      tool: 'run_sql',
      arguments: { sql: `select ${i}` },
      decision: 'allow',
      rows: 1,
      duration_ms: 2,
      principal: { kind: 'api_key', user_id: 'usr_1', key_prefix: 'gk_abc' },
    },
  }
}

describe('AuditWriter options', () => {
  const store = {} as Store
  it.each([
    [{ batchSize: 0 }, 'batchSize'],
    [{ batchSize: 1.5 }, 'batchSize'],
    [{ flushIntervalMs: 0 }, 'flushIntervalMs'],
    [{ chainId: '' }, 'chainId'],
  ])('refuses %o when built', (options, field) => {
    expect(() => new AuditWriter(store, options)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', field }))
  })

  it('starts a new chain per writer', async () => {
    await using a = new AuditWriter(store)
    await using b = new AuditWriter(store)
    expect(a.chainId).toMatch(/^chn_[0-9A-Za-z]{16}$/)
    expect(b.chainId).not.toBe(a.chainId)
  })
})

describe.each(BACKENDS)('AuditWriter on %s', (backend) => {
  let location: TestStoreUrl
  let store: Store

  beforeEach(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    await store.migrate()
  })

  afterEach(async () => {
    await store.close()
    await location.dispose()
  })

  const rowsOf = (chainId: string) => store.audit.chainPage(chainId, 0, 10_000)

  it('queues without touching the store until a flush', async () => {
    const append = vi.spyOn(store.audit, 'append')
    const head = vi.spyOn(store.audit, 'head')
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    for (let i = 0; i < 3; i++) writer.record(call(i))
    expect(writer.pending).toBe(3)
    expect(append).not.toHaveBeenCalled()
    expect(head).not.toHaveBeenCalled()
    await writer.close()
    expect(writer.pending).toBe(0)
  })

  it('assigns consecutive sequence numbers from 1 and chains the hashes from genesis', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 4 })
    for (let i = 0; i < 10; i++) writer.record(call(i))
    await writer.close()

    const rows = await rowsOf(writer.chainId)
    expect(rows.map((r) => r.chain_seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    let prev = GENESIS_HASH
    for (const row of rows) {
      expect(row.prev_hash).toBe(prev)
      const { chain_id, chain_seq, at, type, org_id } = row
      expect(hashStoredRecord(prev, { chain_id, chain_seq, at, type, org_id, data: row.data })).toBe(row.hash)
      prev = row.hash
    }
    expect(rows[3]).toMatchObject({ type: 'mcp.call', org_id: 'org_1', at: 1_700_000_000_003 })
    expect(JSON.parse(rows[3]?.data ?? '')).toMatchObject({ tool: 'run_sql', arguments: { sql: 'select 3' } })
  })

  it('writes a batch per store transaction', async () => {
    const append = vi.spyOn(store.audit, 'append')
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 10 })
    for (let i = 0; i < 25; i++) writer.record(call(i))
    await writer.flush()
    expect(append.mock.calls.map(([rows]) => rows.length)).toEqual([10, 10, 5])
    await writer.close()
  })

  it('writes a full batch without waiting for the timer', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 5 })
    for (let i = 0; i < 5; i++) writer.record(call(i))
    await vi.waitFor(async () => expect(await rowsOf(writer.chainId)).toHaveLength(5))
    await writer.close()
  })

  it('writes what is queued when the timer fires', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: 20 })
    writer.record(call(1))
    await vi.waitFor(async () => expect(await rowsOf(writer.chainId)).toHaveLength(1))
    expect(writer.pending).toBe(0)
    await writer.close()
  })

  it('loses nothing on close: 1,000 records, then close, make 1,000 rows', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    for (let i = 0; i < 1_000; i++) writer.record(call(i))
    await writer.close()
    const rows = await rowsOf(writer.chainId)
    expect(rows).toHaveLength(1_000)
    expect(rows.map((r) => r.at)).toEqual(Array.from({ length: 1_000 }, (_, i) => 1_700_000_000_000 + i))
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('keeps records recorded while a flush is running, in order', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 3 })
    for (let i = 0; i < 3; i++) writer.record(call(i))
    const first = writer.flush()
    for (let i = 3; i < 7; i++) writer.record(call(i))
    await first
    await writer.close()
    const rows = await rowsOf(writer.chainId)
    expect(rows.map((r) => r.at - 1_700_000_000_000)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('keeps a batch that failed queued, in order, and writes it on the next flush', async () => {
    const append = vi.spyOn(store.audit, 'append').mockRejectedValueOnce(new Error('connection reset'))
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 4 })
    for (let i = 0; i < 3; i++) writer.record(call(i))
    await expect(writer.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(writer.pending).toBe(3)
    expect(await rowsOf(writer.chainId)).toHaveLength(0)

    for (let i = 3; i < 6; i++) writer.record(call(i))
    await writer.flush()
    expect(append.mock.calls.map(([rows]) => rows.length)).toEqual([3, 4, 2])
    const rows = await rowsOf(writer.chainId)
    expect(rows.map((r) => [r.chain_seq, r.at - 1_700_000_000_000])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
      [6, 5],
    ])
    expect((await verifyAudit(store)).ok).toBe(true)
    await writer.close()
  })

  it('does not write a batch twice when it committed but the write still reported an error', async () => {
    const realAppend = store.audit.append.bind(store.audit)
    vi.spyOn(store.audit, 'append').mockImplementationOnce(async (rows) => {
      await realAppend(rows)
      throw new Error('connection lost after COMMIT')
    })
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    for (let i = 0; i < 3; i++) writer.record(call(i))
    await expect(writer.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(writer.pending).toBe(3)

    await writer.close()
    expect(writer.pending).toBe(0)
    const rows = await rowsOf(writer.chainId)
    expect(rows.map((r) => [r.chain_seq, r.at - 1_700_000_000_000])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ])
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('reports a failed background write and retries it on the next tick', async () => {
    vi.spyOn(store.audit, 'append').mockRejectedValueOnce(new Error('store down'))
    const onError = vi.fn()
    const writer = new AuditWriter(store, { flushIntervalMs: 20, onError })
    writer.record(call(1))
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'STORE_UNAVAILABLE' })))
    await vi.waitFor(async () => expect(await rowsOf(writer.chainId)).toHaveLength(1))
    await writer.close()
  })

  it('lets close be called again after a failed write, and then writes everything', async () => {
    vi.spyOn(store.audit, 'append').mockRejectedValueOnce(new Error('store down'))
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    writer.record(call(1))
    await expect(writer.close()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await writer.close()
    await writer.close()
    expect(await rowsOf(writer.chainId)).toHaveLength(1)
  })

  it('refuses records after close, so a late record is not silently dropped', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    await writer.close()
    expect(() => writer.record(call(1))).toThrow(expect.objectContaining({ code: 'INTERNAL' }))
  })

  it('closes through Symbol.asyncDispose', async () => {
    let chainId: string
    {
      await using writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
      chainId = writer.chainId
      writer.record(call(1))
    }
    expect(await rowsOf(chainId)).toHaveLength(1)
  })

  it('fails the caller, not the queue, on data with no JSON form', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    writer.record(call(1))
    const bad = { type: 'auth.failed', data: { reason: 'AUTH_INVALID', attempt: 1n } } as AuditEvent
    expect(() => writer.record(bad)).toThrow(TypeError)
    writer.record(call(2))
    await writer.close()
    expect(await rowsOf(writer.chainId)).toHaveLength(2)
  })

  it('takes a snapshot of the data when recording', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER })
    const data = { key_id: 'k1', key_prefix: 'gk_k1' }
    writer.record({ type: 'key.revoked', orgId: 'org_1', data })
    data.key_id = 'changed'
    await writer.close()
    const [row] = await rowsOf(writer.chainId)
    expect(JSON.parse(row?.data ?? '')).toEqual({ key_id: 'k1', key_prefix: 'gk_k1' })
  })

  it('stamps the time of recording and a null org when none is given', async () => {
    const writer = new AuditWriter(store, { flushIntervalMs: NO_TIMER, now: () => 42 })
    writer.record({ type: 'auth.failed', data: { reason: 'AUTH_INVALID', ip: '127.0.0.1' } })
    await writer.close()
    const [row] = await rowsOf(writer.chainId)
    expect(row).toMatchObject({ at: 42, org_id: null, type: 'auth.failed' })
  })

  it('continues an existing chain where it ends', async () => {
    const first = new AuditWriter(store, { chainId: 'chn_shared', flushIntervalMs: NO_TIMER })
    first.record(call(1))
    first.record(call(2))
    await first.close()
    const second = new AuditWriter(store, { chainId: 'chn_shared', flushIntervalMs: NO_TIMER })
    second.record(call(3))
    await second.close()
    expect((await rowsOf('chn_shared')).map((r) => r.chain_seq)).toEqual([1, 2, 3])
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('keeps one chain per writer, so two writers on one store never share a sequence', async () => {
    const a = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 7 })
    const b = new AuditWriter(store, { flushIntervalMs: NO_TIMER, batchSize: 3 })
    for (let i = 0; i < 50; i++) {
      a.record(call(i))
      b.record(call(i))
    }
    await Promise.all([a.close(), b.close()])
    const report = await verifyAudit(store)
    expect(report.ok).toBe(true)
    expect(report.chains.map((c) => [c.chain_id, c.records])).toEqual(
      [
        [a.chainId, 50],
        [b.chainId, 50],
      ].sort(),
    )
  })
})
