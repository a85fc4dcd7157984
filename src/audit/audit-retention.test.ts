import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../test/support/test-stores.js'
import { Store } from '../store/store.js'
import { AuditWriter } from './audit-writer.js'
import { DAY_MS, purgeAudit } from './audit-retention.js'
import { verifyAudit } from './audit-verify.js'

const NO_TIMER = 3_600_000

describe.each(BACKENDS)('purgeAudit on %s', (backend) => {
  let location: TestStoreUrl
  let store: Store
  const open: AuditWriter[] = []

  beforeEach(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    await store.migrate()
  })

  afterEach(async () => {
    for (const writer of open.splice(0)) await writer.close()
    await store.close()
    await location.dispose()
  })

  function writer(chainId: string): AuditWriter {
    const w = new AuditWriter(store, { chainId, flushIntervalMs: NO_TIMER, batchSize: 4 })
    open.push(w)
    return w
  }

  /** Records one event per listed day, at that day's time. */
  async function recordDays(w: AuditWriter, days: readonly number[]): Promise<void> {
    for (const day of days) w.record({ type: 'auth.failed', at: day * DAY_MS, data: { reason: 'AUTH_INVALID', day } })
    await w.flush()
  }

  const seqsOf = async (chainId: string) =>
    (await store.audit.chainPage(chainId, Number.MIN_SAFE_INTEGER, 10_000)).map((r) => r.chain_seq)

  it('deletes the records older than the cutoff and anchors the chain, so it still verifies', async () => {
    await recordDays(writer('chn_server'), [1, 2, 3, 50, 79, 80, 81, 100])
    const purger = writer('chn_purge')
    const report = await purgeAudit(store, purger, { retentionDays: 30, now: 110 * DAY_MS })

    expect(await seqsOf('chn_server')).toEqual([6, 7, 8])
    const [anchor] = await store.audit.chainPage('chn_server', 5, 1)
    expect(report).toEqual({
      cutoff: 80 * DAY_MS,
      chains: [{ chain_id: 'chn_server', purged_count: 5, anchor_seq: 6, anchor_prev_hash: anchor?.prev_hash }],
      checkpoints: 1,
    })
    const [checkpoint] = await store.audit.chainPage('chn_purge', 0, 10)
    expect(checkpoint).toMatchObject({ type: 'audit.checkpoint', at: 110 * DAY_MS, org_id: null })
    expect(JSON.parse(checkpoint?.data ?? '')).toEqual({
      chain_id: 'chn_server',
      anchor_seq: 6,
      anchor_prev_hash: anchor?.prev_hash,
      purged_before: 80 * DAY_MS,
      purged_count: 5,
    })
    expect(await verifyAudit(store)).toMatchObject({ ok: true })
  })

  it('deletes only a whole prefix: an old record after a recent one stays', async () => {
    await recordDays(writer('chn_server'), [1, 90, 2, 95])
    await purgeAudit(store, writer('chn_purge'), { retentionDays: 30, now: 110 * DAY_MS })
    expect(await seqsOf('chn_server')).toEqual([2, 3, 4])
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('leaves a chain with nothing old alone and writes no checkpoint for it', async () => {
    await recordDays(writer('chn_server'), [100, 101])
    const report = await purgeAudit(store, writer('chn_purge'), { retentionDays: 30, now: 110 * DAY_MS })
    expect(report).toEqual({ cutoff: 80 * DAY_MS, chains: [], checkpoints: 0 })
    expect(await seqsOf('chn_server')).toEqual([1, 2])
    expect(await seqsOf('chn_purge')).toEqual([])
  })

  it('purges a whole chain and anchors it where its writer goes on', async () => {
    const server = writer('chn_server')
    await recordDays(server, [1, 2, 3])
    const [, , last] = await store.audit.chainPage('chn_server', 0, 10)
    const report = await purgeAudit(store, writer('chn_purge'), { retentionDays: 30, now: 110 * DAY_MS })
    expect(report.chains).toEqual([
      { chain_id: 'chn_server', purged_count: 3, anchor_seq: 4, anchor_prev_hash: last?.hash },
    ])
    expect(await seqsOf('chn_server')).toEqual([])

    await recordDays(server, [111])
    expect(await seqsOf('chn_server')).toEqual([4])
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it("anchors the purging writer's own chain with a checkpoint in that chain", async () => {
    const server = writer('chn_server')
    await recordDays(server, [1, 2, 100])
    await purgeAudit(store, server, { retentionDays: 30, now: 110 * DAY_MS })
    expect(await seqsOf('chn_server')).toEqual([3, 4])
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('writes what the purging writer still holds before deciding what to purge', async () => {
    const server = writer('chn_server')
    server.record({ type: 'auth.failed', at: DAY_MS, data: { reason: 'AUTH_INVALID' } })
    const report = await purgeAudit(store, server, { retentionDays: 30, now: 110 * DAY_MS })
    expect(report.chains).toMatchObject([{ chain_id: 'chn_server', purged_count: 1, anchor_seq: 2 }])
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('still fails a chain whose records are deleted past its anchor afterwards', async () => {
    await recordDays(writer('chn_server'), [1, 2, 100, 101, 102])
    await purgeAudit(store, writer('chn_purge'), { retentionDays: 30, now: 110 * DAY_MS })
    await store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_server').where('chain_seq', '=', 3).execute()
    expect((await verifyAudit(store)).broken).toEqual({
      chain_id: 'chn_server',
      chain_seq: 4,
      reason: 'records before seq 4 are missing and no retention checkpoint anchors them',
    })
  })

  it('does not bless a prefix deleted by hand when nothing is old enough to purge', async () => {
    await recordDays(writer('chn_server'), [100, 101, 102])
    await store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_server').where('chain_seq', '=', 1).execute()
    const report = await purgeAudit(store, writer('chn_purge'), { retentionDays: 30, now: 110 * DAY_MS })
    expect(report.checkpoints).toBe(0)
    expect((await verifyAudit(store)).broken).toMatchObject({ chain_id: 'chn_server', chain_seq: 2 })
  })

  it('is a no-op the second time', async () => {
    await recordDays(writer('chn_server'), [1, 2, 100])
    const purger = writer('chn_purge')
    await purgeAudit(store, purger, { retentionDays: 30, now: 110 * DAY_MS })
    const again = await purgeAudit(store, purger, { retentionDays: 30, now: 110 * DAY_MS })
    expect(again.chains).toEqual([])
    expect(again.checkpoints).toBe(0)
    expect((await verifyAudit(store)).ok).toBe(true)
  })

  it('restates an anchor whose checkpoint is old enough to be purged itself', async () => {
    const server = writer('chn_server')
    await recordDays(server, [1, 2])
    // Day 100: the first purge empties chn_server and anchors it at seq 3 from chn_purge_1.
    await purgeAudit(store, writer('chn_purge_1'), { retentionDays: 30, now: 100 * DAY_MS })
    await recordDays(server, [180, 181])
    // Day 200: chn_server has nothing old, but chn_purge_1 (day 100) goes, and its anchor with it.
    const report = await purgeAudit(store, writer('chn_purge_2'), { retentionDays: 30, now: 200 * DAY_MS })

    expect(report.chains.map((c) => c.chain_id)).toEqual(['chn_purge_1'])
    expect(report.checkpoints).toBe(2)
    expect(await seqsOf('chn_purge_1')).toEqual([])
    expect(await seqsOf('chn_server')).toEqual([3, 4])
    const restated = (await store.audit.chainPage('chn_purge_2', 0, 10)).map((r) => JSON.parse(r.data))
    expect(restated).toContainEqual(
      expect.objectContaining({
        chain_id: 'chn_server',
        anchor_seq: 3,
        restated_from: { chain_id: 'chn_purge_1', chain_seq: 1 },
      }),
    )
    expect(await verifyAudit(store)).toMatchObject({ ok: true })
  })

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a retention of %s days', async (retentionDays) => {
    await expect(purgeAudit(store, writer('chn_purge'), { retentionDays })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    })
  })
})
