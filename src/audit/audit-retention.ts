import { InputError } from '../domain/errors.js'
import type { Store } from '../store/store.js'
import type { AuditRow } from '../store/repositories/audit-repository.js'
import type { AuditCheckpointData } from './audit-event.js'
import type { AuditWriter } from './audit-writer.js'

export const DAY_MS = 86_400_000

export interface PurgeOptions {
  /** `audit.retention_days`: records older than this many days go. */
  readonly retentionDays: number
  /** Epoch ms the cutoff is measured from; also the checkpoints' time. */
  readonly now?: number
}

export interface PurgedChain {
  readonly chain_id: string
  readonly purged_count: number
  readonly anchor_seq: number
  readonly anchor_prev_hash: string
}

export interface PurgeReport {
  readonly cutoff: number
  readonly chains: readonly PurgedChain[]
  /** Checkpoints written: one per purged chain, plus restated ones (see `purgeAudit`). */
  readonly checkpoints: number
}

interface Located {
  readonly chain_id: string
  readonly chain_seq: number
  readonly data: AuditCheckpointData
}

/**
 * Applies `retention_days` (SPEC §8). Each chain loses only a whole prefix: the
 * records before its first record at or after the cutoff (or all of it, if none
 * is that recent), so what remains still links up. A checkpoint, written through
 * `writer`, then anchors the chain where it now starts, so `verifyAudit` tells
 * the purge apart from a deletion.
 *
 * The checkpoints are stored before anything is deleted: a purge that stops
 * half-way leaves an extra checkpoint, never a chain with no anchor, and running
 * it again finishes the job. A checkpoint that anchors a chain purged earlier
 * may itself be old enough to go; it is restated first, or that chain would lose
 * its anchor.
 */
export async function purgeAudit(
  store: Pick<Store, 'audit'>,
  writer: AuditWriter,
  options: PurgeOptions,
): Promise<PurgeReport> {
  const { retentionDays, now = Date.now() } = options
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new InputError('audit.retention_days must be a positive number of days', 'retentionDays')
  }
  const cutoff = now - retentionDays * DAY_MS
  // Whatever the writer holds must be in the store before the plan is made from it.
  await writer.flush()

  const existing = await checkpointsInStore(store)
  const plans = new Map<string, AuditCheckpointData>()
  const starts: AuditRow[] = []
  for (const chainId of await store.audit.chainIds()) {
    const [first] = await store.audit.chainPage(chainId, Number.MIN_SAFE_INTEGER, 1)
    if (first === undefined) continue
    starts.push(first)
    const plan = await planChain(store, first, cutoff)
    if (plan !== undefined) plans.set(chainId, plan)
  }

  const survives = (c: Located) => c.chain_seq >= (plans.get(c.chain_id)?.anchor_seq ?? Number.MIN_SAFE_INTEGER)
  const checkpoints = [...plans.values()]
  for (const first of starts) {
    if (first.chain_seq <= 1 || plans.has(first.chain_id)) continue
    const anchors = existing.filter(
      (c) =>
        c.data.chain_id === first.chain_id &&
        c.data.anchor_seq === first.chain_seq &&
        c.data.anchor_prev_hash === first.prev_hash,
    )
    // Only an anchor that exists is restated: a chain that lost its start some other way stays broken.
    const [anchor] = anchors
    if (anchor !== undefined && !anchors.some(survives)) {
      checkpoints.push({ ...anchor.data, restated_from: { chain_id: anchor.chain_id, chain_seq: anchor.chain_seq } })
    }
  }

  for (const data of checkpoints) writer.record({ type: 'audit.checkpoint', at: now, data })
  await writer.flush()

  const chains: PurgedChain[] = []
  for (const plan of plans.values()) {
    const purged_count = await store.audit.deleteBefore(plan.chain_id, plan.anchor_seq)
    chains.push({
      chain_id: plan.chain_id,
      purged_count,
      anchor_seq: plan.anchor_seq,
      anchor_prev_hash: plan.anchor_prev_hash,
    })
  }
  return { cutoff, chains, checkpoints: checkpoints.length }
}

async function planChain(
  store: Pick<Store, 'audit'>,
  first: AuditRow,
  cutoff: number,
): Promise<AuditCheckpointData | undefined> {
  const chain_id = first.chain_id
  const kept = await store.audit.firstAtOrAfter(chain_id, cutoff)
  if (kept !== undefined) {
    if (kept.chain_seq <= first.chain_seq) return undefined
    // Counted by sequence: the records of an intact chain between its start and the anchor.
    const purged_count = kept.chain_seq - first.chain_seq
    return {
      chain_id,
      anchor_seq: kept.chain_seq,
      anchor_prev_hash: kept.prev_hash,
      purged_before: cutoff,
      purged_count,
    }
  }
  // Every record is older than the cutoff: anchor where the chain's next record will go.
  const head = await store.audit.head(chain_id)
  if (head === undefined) return undefined
  const purged_count = head.chain_seq - first.chain_seq + 1
  return { chain_id, anchor_seq: head.chain_seq + 1, anchor_prev_hash: head.hash, purged_before: cutoff, purged_count }
}

async function checkpointsInStore(store: Pick<Store, 'audit'>): Promise<Located[]> {
  const rows = await store.audit.query({ type: 'audit.checkpoint' })
  const out: Located[] = []
  for (const row of rows) {
    try {
      const data = JSON.parse(row.data) as AuditCheckpointData
      if (typeof data.chain_id === 'string' && typeof data.anchor_seq === 'number') {
        out.push({ chain_id: row.chain_id, chain_seq: row.chain_seq, data })
      }
    } catch {
      // An unreadable checkpoint anchors nothing; `audit verify` reports the record.
    }
  }
  return out
}
