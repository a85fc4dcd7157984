import { randomBase62 } from '../domain/ids.js'
import { GatehouseError, InputError } from '../domain/errors.js'
import type { Store } from '../store/store.js'
import type { NewAuditRow } from '../store/repositories/audit-repository.js'
import type { AuditEvent } from './audit-event.js'
import { GENESIS_HASH, hashStoredRecord } from './audit-chain.js'

export interface AuditWriterOptions {
  /** Defaults to a new chain per writer: one chain per server instance, so instances never wait on each other. */
  readonly chainId?: string
  /** Records per store transaction (default 500); a full batch is written without waiting for the timer. */
  readonly batchSize?: number
  /** How often queued records are written (default 250 ms): the most a crash, not a clean shutdown, can lose. */
  readonly flushIntervalMs?: number
  readonly now?: () => number
  /** Told about a failed background write; the records stay queued and are retried. */
  readonly onError?: (error: unknown) => void
}

export type AuditWriterStore = Pick<Store, 'audit'>

export function newChainId(): string {
  return `chn_${randomBase62(16)}`
}

interface QueuedRecord {
  readonly at: number
  readonly type: string
  readonly org_id: string | null
  /** Canonical JSON, taken when the event is recorded. */
  readonly data: string
}

interface ChainHead {
  readonly seq: number
  readonly hash: string
}

function warn(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  process.emitWarning(`Audit records could not be written and stay queued: ${message}`, 'GatehouseAuditWarning')
}

/**
 * Writes audit records in batches, off the request path, as one hash chain.
 * `record` only queues; a timer (which never keeps the process alive) writes
 * the queue a batch per transaction. A batch that fails stays at the front of
 * the queue and is chained again on the next attempt, so nothing is lost and
 * the chain never skips a sequence number. `close` writes everything left.
 *
 * One writer per chain: two writers appending to the same chain id would race.
 */
export class AuditWriter implements AsyncDisposable {
  readonly chainId: string
  readonly #store: AuditWriterStore
  readonly #batchSize: number
  readonly #now: () => number
  readonly #onError: (error: unknown) => void
  readonly #timer: NodeJS.Timeout
  readonly #queue: QueuedRecord[] = []
  /** The last record known to be stored; unknown until first read, and again after a failed write. */
  #head: ChainHead | undefined
  /** A batch whose write failed but may have committed anyway (the connection dropped after COMMIT). */
  #inDoubt: (ChainHead & { readonly count: number }) | undefined
  #tail: Promise<void> = Promise.resolve()
  #backgroundRunning = false
  #failing = false
  #closed = false

  constructor(store: AuditWriterStore, options: AuditWriterOptions = {}) {
    const { chainId = newChainId(), batchSize = 500, flushIntervalMs = 250 } = options
    if (chainId.length === 0) throw new InputError('The audit chain id must not be empty', 'chainId')
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InputError('The audit batch size must be a positive integer', 'batchSize')
    }
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs <= 0) {
      throw new InputError('The audit flush interval must be a positive number of milliseconds', 'flushIntervalMs')
    }
    this.chainId = chainId
    this.#store = store
    this.#batchSize = batchSize
    this.#now = options.now ?? Date.now
    this.#onError = options.onError ?? warn
    this.#timer = setInterval(() => this.#flushInBackground(), flushIntervalMs)
    this.#timer.unref()
  }

  /** Records recorded and not yet known to be stored. */
  get pending(): number {
    return this.#queue.length
  }

  /**
   * Queues one event; never waits for the store. The data is serialized here so
   * that a value with no JSON form fails its caller instead of blocking the
   * queue, and so that a caller mutating its object afterwards changes nothing.
   */
  record(event: AuditEvent): void {
    if (this.#closed) throw new GatehouseError('INTERNAL', 'The audit writer is closed')
    this.#queue.push({
      at: event.at ?? this.#now(),
      type: event.type,
      org_id: event.orgId ?? null,
      data: JSON.stringify(event.data),
    })
    // While the store fails, only the timer retries, so a busy server does not hammer it.
    if (this.#queue.length >= this.#batchSize && !this.#failing) this.#flushInBackground()
  }

  /** Writes everything queued when it is called (and whatever an earlier flush had in hand). */
  flush(): Promise<void> {
    const run = this.#tail.then(() => this.#drain())
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  /** Stops the timer and writes everything queued. Safe to call again, e.g. after a failed write. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    await this.flush()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #flushInBackground(): void {
    if (this.#backgroundRunning) return
    this.#backgroundRunning = true
    void this.flush()
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        this.#backgroundRunning = false
      })
  }

  async #drain(): Promise<void> {
    let remaining = this.#queue.length
    while (remaining > 0) {
      if (this.#head === undefined) remaining -= await this.#resume()
      if (remaining <= 0 || this.#head === undefined) return
      const batch = this.#queue.slice(0, Math.min(remaining, this.#batchSize))
      const rows = this.#chain(this.#head, batch)
      const last = rows[rows.length - 1] as NewAuditRow
      try {
        await this.#store.audit.append(rows)
      } catch (error) {
        this.#head = undefined
        this.#inDoubt = { seq: last.chain_seq, hash: last.hash, count: batch.length }
        this.#failing = true
        throw new GatehouseError('STORE_UNAVAILABLE', 'The audit batch could not be written', { cause: error })
      }
      this.#queue.splice(0, batch.length)
      remaining -= batch.length
      this.#head = { seq: last.chain_seq, hash: last.hash }
      this.#failing = false
    }
  }

  /**
   * Reads the chain's head from the store (a writer may continue an existing
   * chain). If the batch in doubt is there, it did commit: drop it from the
   * queue, and say how many went. Otherwise it is chained again from the head.
   */
  async #resume(): Promise<number> {
    const row = await this.#store.audit.head(this.chainId)
    this.#head = row === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: row.chain_seq, hash: row.hash }
    const doubt = this.#inDoubt
    this.#inDoubt = undefined
    if (doubt === undefined || row?.hash !== doubt.hash) return 0
    this.#queue.splice(0, doubt.count)
    return doubt.count
  }

  #chain(head: ChainHead, batch: readonly QueuedRecord[]): NewAuditRow[] {
    const rows: NewAuditRow[] = []
    let prev = head
    for (const record of batch) {
      const fields = { chain_id: this.chainId, chain_seq: prev.seq + 1, ...record }
      const hash = hashStoredRecord(prev.hash, fields)
      rows.push({ ...fields, prev_hash: prev.hash, hash })
      prev = { seq: fields.chain_seq, hash }
    }
    return rows
  }
}
