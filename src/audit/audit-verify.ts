import type { Store } from '../store/store.js'
import type { AuditRow } from '../store/repositories/audit-repository.js'
import { GENESIS_HASH, hashStoredRecord } from './audit-chain.js'

export type AuditVerifyStore = Pick<Store, 'audit'>

export interface ChainSummary {
  readonly chain_id: string
  readonly ok: boolean
  readonly records: number
  readonly first_seq: number
  readonly last_seq: number
  /** What an operator keeps elsewhere to detect a truncated chain later. */
  readonly head_hash: string
}

export interface BrokenLink {
  readonly chain_id: string
  readonly chain_seq: number
  readonly reason: string
}

export interface VerifyReport {
  readonly ok: boolean
  readonly chains: readonly ChainSummary[]
  /** The first broken link, chains taken in id order. */
  readonly broken?: BrokenLink
}

export interface ChainHeadReport {
  readonly chain_id: string
  readonly last_seq: number
  readonly hash: string
  readonly at: number
}

/** What a verified `audit.checkpoint` record vouches for. */
interface Anchor {
  readonly inChain: string
  readonly chainId: string
  readonly seq: number
  readonly prevHash: string
}

interface ChainScan {
  readonly chainId: string
  records: number
  first: AuditRow | undefined
  last: AuditRow | undefined
  /** The first link that fails inside the chain, whatever its start. */
  linkBreak: { readonly chain_seq: number; readonly reason: string } | undefined
}

export const DEFAULT_VERIFY_PAGE = 1_000

/**
 * Checks every chain, a page at a time: each record's hash recomputes, each
 * `prev_hash` is the previous record's hash, sequence numbers have no gap, and
 * each chain starts at seq 1 from the genesis hash, or where a retention
 * checkpoint says the purge left it.
 */
export async function verifyAudit(
  store: AuditVerifyStore,
  options: { readonly pageSize?: number } = {},
): Promise<VerifyReport> {
  const pageSize = options.pageSize ?? DEFAULT_VERIFY_PAGE
  const anchors: Anchor[] = []
  const scans: ChainScan[] = []
  for (const chainId of await store.audit.chainIds()) scans.push(await scanChain(store, chainId, pageSize, anchors))

  const startBreaks = checkStarts(scans, anchors)
  const chains: ChainSummary[] = []
  let broken: BrokenLink | undefined
  for (const scan of scans) {
    const startBreak = startBreaks.get(scan.chainId)
    const chainBreak = startBreak ?? scan.linkBreak
    if (broken === undefined && chainBreak !== undefined) broken = { chain_id: scan.chainId, ...chainBreak }
    chains.push({
      chain_id: scan.chainId,
      ok: chainBreak === undefined,
      records: scan.records,
      first_seq: scan.first?.chain_seq ?? 0,
      last_seq: scan.last?.chain_seq ?? 0,
      head_hash: scan.last?.hash ?? GENESIS_HASH,
    })
  }
  return broken === undefined ? { ok: true, chains } : { ok: false, chains, broken }
}

/** Each chain's last record, for `gatehouse audit head`. */
export async function auditHeads(store: AuditVerifyStore): Promise<ChainHeadReport[]> {
  const rows = await store.audit.heads()
  return rows.map((row) => ({ chain_id: row.chain_id, last_seq: row.chain_seq, hash: row.hash, at: row.at }))
}

async function scanChain(
  store: AuditVerifyStore,
  chainId: string,
  pageSize: number,
  anchors: Anchor[],
): Promise<ChainScan> {
  const scan: ChainScan = { chainId, records: 0, first: undefined, last: undefined, linkBreak: undefined }
  // A tampered sequence number may be zero or negative: start below any of them.
  let afterSeq = Number.MIN_SAFE_INTEGER
  for (;;) {
    const page = await store.audit.chainPage(chainId, afterSeq, pageSize)
    for (const row of page) {
      scan.records += 1
      scan.first ??= row
      scan.linkBreak ??= checkLink(scan.last, row)
      // A checkpoint vouches for another chain only if every link up to it holds.
      if (scan.linkBreak === undefined && row.type === 'audit.checkpoint') {
        const anchor = anchorOf(row)
        if (anchor !== undefined) anchors.push(anchor)
      }
      scan.last = row
    }
    if (page.length < pageSize) return scan
    afterSeq = (page[page.length - 1] as AuditRow).chain_seq
  }
}

function checkLink(prev: AuditRow | undefined, row: AuditRow): ChainScan['linkBreak'] {
  const { chain_id, chain_seq, at, type, org_id, prev_hash } = row
  if (prev !== undefined && chain_seq !== prev.chain_seq + 1) {
    return { chain_seq, reason: `sequence gap after ${prev.chain_seq}: a record was deleted` }
  }
  if (prev !== undefined && prev_hash !== prev.hash) {
    return {
      chain_seq,
      reason: 'prev_hash does not match the previous record: a record was deleted, reordered or rewritten',
    }
  }
  if (parseData(row.data) === undefined) return { chain_seq, reason: 'data is not a JSON object: record was edited' }
  if (hashStoredRecord(prev_hash, { chain_id, chain_seq, at, type, org_id, data: row.data }) !== row.hash) {
    return { chain_seq, reason: 'hash mismatch: record was edited' }
  }
  return undefined
}

/**
 * Which chains do not start where they should, found as the largest set of
 * chains that vouch for each other: a chain starting at seq N > 1 holds only if a
 * checkpoint in a chain that holds anchors it at exactly N and its `prev_hash`.
 * The largest set (not the smallest) admits a server whose own purge wrote the
 * checkpoint into the chain it purged.
 */
function checkStarts(scans: readonly ChainScan[], anchors: readonly Anchor[]): Map<string, BrokenLink> {
  const breaks = new Map<string, BrokenLink>()
  const holding = new Set<string>()
  const unanchored: ChainScan[] = []
  for (const scan of scans) {
    const first = scan.first
    if (first === undefined) continue
    const chain_id = scan.chainId
    if (first.chain_seq === 1 && first.prev_hash === GENESIS_HASH) holding.add(chain_id)
    else if (first.chain_seq === 1) {
      breaks.set(chain_id, { chain_id, chain_seq: 1, reason: 'the first record does not start from the genesis hash' })
    } else if (first.chain_seq < 1) {
      breaks.set(chain_id, { chain_id, chain_seq: first.chain_seq, reason: 'sequence numbers start below 1' })
    } else {
      holding.add(chain_id)
      unanchored.push(scan)
    }
  }
  for (let changed = true; changed;) {
    changed = false
    for (const scan of unanchored) {
      if (!holding.has(scan.chainId)) continue
      const first = scan.first as AuditRow
      const anchored = anchors.some(
        (a) =>
          a.chainId === scan.chainId &&
          a.seq === first.chain_seq &&
          a.prevHash === first.prev_hash &&
          holding.has(a.inChain),
      )
      if (!anchored) {
        holding.delete(scan.chainId)
        changed = true
      }
    }
  }
  for (const scan of unanchored) {
    if (holding.has(scan.chainId)) continue
    const seq = (scan.first as AuditRow).chain_seq
    const reason = `records before seq ${seq} are missing and no retention checkpoint anchors them`
    breaks.set(scan.chainId, { chain_id: scan.chainId, chain_seq: seq, reason })
  }
  return breaks
}

function anchorOf(row: AuditRow): Anchor | undefined {
  const data = parseData(row.data)
  if (data === undefined) return undefined
  const { chain_id, anchor_seq, anchor_prev_hash } = data
  if (typeof chain_id !== 'string' || typeof anchor_seq !== 'number' || typeof anchor_prev_hash !== 'string') {
    return undefined
  }
  return { inChain: row.chain_id, chainId: chain_id, seq: anchor_seq, prevHash: anchor_prev_hash }
}

function parseData(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
