import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  MessageExtraInfo,
  RequestId,
  Transport,
} from '@modelcontextprotocol/server'

export type JsonRpcReply = Record<string, unknown> & { readonly jsonrpc: '2.0'; readonly id: RequestId | null }

interface Pending {
  readonly originalId: RequestId
  readonly resolve: (reply: JsonRpcReply | undefined) => void
}

/**
 * Connects one long-lived SDK server to every HTTP request. Each inbound
 * request is given an internal id, so requests of different clients that use
 * the same JSON-RPC id never meet; the reply is matched by that id and handed
 * back with the client's own id. Server-to-client requests and notifications
 * have no channel in stateless serving and are dropped.
 */
export class InProcessTransport implements Transport {
  onmessage?: Transport['onmessage']
  onclose?: Transport['onclose']
  onerror?: Transport['onerror']
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #closed = false

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    const id = (message as { id?: unknown }).id
    if (typeof id !== 'number' || !('result' in message || 'error' in message)) return
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    pending.resolve({ ...(message as JsonRpcReply), id: pending.originalId })
  }

  /** Dispatches one request; resolves with its reply, or undefined when `signal` aborted it first. */
  request(message: JSONRPCRequest, extra: MessageExtraInfo, signal?: AbortSignal): Promise<JsonRpcReply | undefined> {
    if (this.#closed) return Promise.reject(new Error('The MCP transport is closed'))
    // The client is already gone: nothing to run, nobody to answer.
    if (signal?.aborted === true) return Promise.resolve(undefined)
    const internalId = this.#nextId++
    if (this.#nextId > Number.MAX_SAFE_INTEGER) this.#nextId = 1
    return new Promise((resolve) => {
      if (signal === undefined) {
        this.#pending.set(internalId, { originalId: message.id, resolve })
      } else {
        // The signal may outlive this request (one per client connection): the listener must not.
        const onAbort = () => this.#cancel(internalId)
        const settle = (reply: JsonRpcReply | undefined) => {
          signal.removeEventListener('abort', onAbort)
          resolve(reply)
        }
        this.#pending.set(internalId, { originalId: message.id, resolve: settle })
        signal.addEventListener('abort', onAbort, { once: true })
      }
      this.onmessage?.({ ...message, id: internalId }, extra)
    })
  }

  notify(message: JSONRPCNotification, extra: MessageExtraInfo): void {
    // A client's cancellation names its own request id, which means nothing here: requests are
    // cancelled by closing their HTTP request instead (the spec's own model for stateless servers).
    if (message.method === 'notifications/cancelled') return
    this.onmessage?.(message, extra)
  }

  get inFlight(): number {
    return this.#pending.size
  }

  /** The client went away: the handler's signal is aborted through the SDK's own cancellation. */
  #cancel(internalId: number): void {
    const pending = this.#pending.get(internalId)
    if (pending === undefined) return
    this.#pending.delete(internalId)
    this.onmessage?.({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: internalId, reason: 'The client closed the request' },
    })
    pending.resolve(undefined)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const pending of this.#pending.values()) pending.resolve(undefined)
    this.#pending.clear()
    this.onclose?.()
  }
}
