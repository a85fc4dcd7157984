import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../test/support/test-stores.js'
import { Store } from '../store/store.js'
import { GENESIS_HASH, hashStoredRecord } from './audit-chain.js'
import { AuditWriter } from './audit-writer.js'
import { auditHeads, verifyAudit } from './audit-verify.js'

const NO_TIMER = 3_600_000

describe.each(BACKENDS)('verifyAudit on %s', (backend) => {
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

  /** Two chains of ten records each: `chn_a` and `chn_b`. */
  async function writeTwoChains(): Promise<void> {
    for (const chainId of ['chn_a', 'chn_b']) {
      const writer = new AuditWriter(store, { chainId, flushIntervalMs: NO_TIMER, batchSize: 4 })
      for (let i = 1; i <= 10; i++) {
        writer.record({ type: 'auth.failed', orgId: 'org_1', at: 1_000 + i, data: { reason: 'AUTH_INVALID', n: i } })
      }
      await writer.close()
    }
  }

  const inChain = (chainId: string, seq: number) =>
    store.db.updateTable('audit_events').where('chain_id', '=', chainId).where('chain_seq', '=', seq)

  it('passes an intact log and summarizes every chain', async () => {
    await writeTwoChains()
    const report = await verifyAudit(store, { pageSize: 3 })
    expect(report.ok).toBe(true)
    expect(report.broken).toBeUndefined()
    const heads = await auditHeads(store)
    expect(report.chains).toEqual([
      { chain_id: 'chn_a', ok: true, records: 10, first_seq: 1, last_seq: 10, head_hash: heads[0]?.hash },
      { chain_id: 'chn_b', ok: true, records: 10, first_seq: 1, last_seq: 10, head_hash: heads[1]?.hash },
    ])
  })

  it('passes an empty log', async () => {
    expect(await verifyAudit(store)).toEqual({ ok: true, chains: [] })
  })

  it('fails on a record whose data was edited, naming its chain and seq', async () => {
    await writeTwoChains()
    await inChain('chn_b', 4).set({ data: '{"n":4,"reason":"AUTH_EXPIRED"}' }).execute()
    const report = await verifyAudit(store, { pageSize: 3 })
    expect(report.ok).toBe(false)
    expect(report.broken).toEqual({ chain_id: 'chn_b', chain_seq: 4, reason: 'hash mismatch: record was edited' })
    expect(report.chains.map((c) => c.ok)).toEqual([true, false])
  })

  it.each([
    ['its time', { at: 1 }],
    ['its type', { type: 'mcp.call' }],
    ['its org', { org_id: 'org_2' }],
    ['its data, to text that is not JSON', { data: 'not json' }],
  ])('fails on a record whose %s was edited', async (_what, change) => {
    await writeTwoChains()
    await inChain('chn_a', 7).set(change).execute()
    const report = await verifyAudit(store)
    expect(report.broken).toMatchObject({ chain_id: 'chn_a', chain_seq: 7 })
    expect(report.broken?.reason).toMatch(/record was edited/)
  })

  it('fails on a record deleted from the middle, at the gap it left', async () => {
    await writeTwoChains()
    await store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_b').where('chain_seq', '=', 5).execute()
    const report = await verifyAudit(store, { pageSize: 3 })
    expect(report.broken).toEqual({
      chain_id: 'chn_b',
      chain_seq: 6,
      reason: 'sequence gap after 4: a record was deleted',
    })
  })

  it('fails on a deleted record whose followers were renumbered to hide the gap', async () => {
    await writeTwoChains()
    await store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_a').where('chain_seq', '=', 5).execute()
    for (let seq = 6; seq <= 10; seq++)
      await inChain('chn_a', seq)
        .set({ chain_seq: seq - 1 })
        .execute()
    const report = await verifyAudit(store)
    expect(report.broken).toEqual({
      chain_id: 'chn_a',
      chain_seq: 5,
      reason: 'prev_hash does not match the previous record: a record was deleted, reordered or rewritten',
    })
  })

  it('fails on two records that swapped places', async () => {
    await writeTwoChains()
    // (chain_id, chain_seq) is unique: park one record on a free seq while the other moves.
    await inChain('chn_b', 3).set({ chain_seq: -1 }).execute()
    await inChain('chn_b', 4).set({ chain_seq: 3 }).execute()
    await inChain('chn_b', -1).set({ chain_seq: 4 }).execute()
    const report = await verifyAudit(store)
    expect(report.broken).toEqual({
      chain_id: 'chn_b',
      chain_seq: 3,
      reason: 'prev_hash does not match the previous record: a record was deleted, reordered or rewritten',
    })
  })

  it('fails on a record edited and rehashed, at the link to the record after it', async () => {
    await writeTwoChains()
    const [row] = await store.audit.chainPage('chn_a', 4, 1)
    if (row === undefined) throw new Error('seq 5 was not written')
    const data = { reason: 'AUTH_EXPIRED', n: 5 }
    const { chain_id, chain_seq, at, type, org_id } = row
    const hash = hashStoredRecord(row.prev_hash, { chain_id, chain_seq, at, type, org_id, data: JSON.stringify(data) })
    await inChain('chn_a', 5)
      .set({ data: JSON.stringify(data), hash })
      .execute()
    const report = await verifyAudit(store)
    expect(report.broken).toEqual({
      chain_id: 'chn_a',
      chain_seq: 6,
      reason: 'prev_hash does not match the previous record: a record was deleted, reordered or rewritten',
    })
  })

  it('fails on an edit that changes only the JSON text (whitespace): the stored text is what is hashed', async () => {
    await writeTwoChains()
    const [row] = await store.audit.chainPage('chn_a', 2, 1)
    if (row === undefined) throw new Error('seq 3 was not written')
    await inChain('chn_a', 3)
      .set({ data: ` ${row.data}` })
      .execute()
    expect((await verifyAudit(store)).broken).toEqual({
      chain_id: 'chn_a',
      chain_seq: 3,
      reason: 'hash mismatch: record was edited',
    })
  })

  it('fails on the first records deleted with no checkpoint', async () => {
    await writeTwoChains()
    await store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_b').where('chain_seq', '<=', 2).execute()
    const report = await verifyAudit(store)
    expect(report.broken).toEqual({
      chain_id: 'chn_b',
      chain_seq: 3,
      reason: 'records before seq 3 are missing and no retention checkpoint anchors them',
    })
    expect(report.chains[1]).toMatchObject({ chain_id: 'chn_b', ok: false, records: 8, first_seq: 3, last_seq: 10 })
  })

  it('fails on a first record that does not start from the genesis hash', async () => {
    await writeTwoChains()
    await inChain('chn_a', 1)
      .set({ prev_hash: 'a'.repeat(64) })
      .execute()
    const report = await verifyAudit(store)
    expect(report.broken).toMatchObject({ chain_id: 'chn_a', chain_seq: 1 })
  })

  it('does not accept a forged checkpoint in a chain that does not verify', async () => {
    await writeTwoChains()
    await store.db.deleteFrom('audit_events').where('chain_id', '=', 'chn_b').where('chain_seq', '<=', 2).execute()
    const [third] = await store.audit.chainPage('chn_b', 2, 1)
    const forger = new AuditWriter(store, { chainId: 'chn_c', flushIntervalMs: NO_TIMER })
    forger.record({ type: 'auth.failed', data: { reason: 'AUTH_INVALID' } })
    forger.record({
      type: 'audit.checkpoint',
      data: {
        chain_id: 'chn_b',
        anchor_seq: 3,
        anchor_prev_hash: third?.prev_hash ?? '',
        purged_before: 0,
        purged_count: 2,
      },
    })
    await forger.close()
    // The forger's chain is itself broken before its checkpoint, so the checkpoint vouches for nothing.
    await inChain('chn_c', 1).set({ data: '{"reason":"edited"}' }).execute()
    const report = await verifyAudit(store)
    expect(report.broken).toMatchObject({ chain_id: 'chn_b', chain_seq: 3 })
    expect(report.chains.find((c) => c.chain_id === 'chn_c')?.ok).toBe(false)
  })

  it('reports each chain head for `audit head`', async () => {
    await writeTwoChains()
    const heads = await auditHeads(store)
    expect(heads.map((h) => [h.chain_id, h.last_seq, h.at])).toEqual([
      ['chn_a', 10, 1_010],
      ['chn_b', 10, 1_010],
    ])
    for (const head of heads) {
      expect(head.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(head.hash).not.toBe(GENESIS_HASH)
    }
  })
})
