import { createMcpHandler, specTypeSchemas } from '@modelcontextprotocol/server'
import type { JSONRPCNotification, JSONRPCRequest, McpHttpHandler, McpServer } from '@modelcontextprotocol/server'
import type { Principal } from '../domain/principal.js'
import type { Permission } from '../domain/permissions.js'
import type { ToolDefinition } from './tool-definition.js'
import type { CallMeta, ToolRunner } from './tool-runner.js'
import { InProcessTransport } from './in-process-transport.js'
import type { JsonRpcReply } from './in-process-transport.js'
import { authInfoOf, createSdkServer, messageExtra } from './sdk-server.js'

/**
 * One long-lived SDK `McpServer` behind an in-process transport, plus a fast
 * path for plain `tools/call` requests (SPEC §1, §9). The server is built once;
 * per-request facts (principal, source address) travel with each message and
 * are never stored on the shared instance, whose own per-client state (the
 * last `initialize`'s capabilities) nothing here reads.
 *
 * Protocol revision 2026-07-28 (per-request `_meta` envelope, `server/discover`)
 * is served by the SDK's own entry, which binds the revision and the client's
 * envelope to a server instance per request; that leg has no fast path.
 */
export class McpEndpoint implements AsyncDisposable {
  readonly #server: McpServer
  readonly #transport = new InProcessTransport()
  readonly #tools: ReadonlyMap<string, ToolDefinition>
  readonly #runner: ToolRunner
  readonly #fastPath: boolean

  readonly #modern: McpHttpHandler

  private constructor(tools: readonly ToolDefinition[], runner: ToolRunner, fastPath: boolean) {
    this.#tools = new Map(tools.map((t) => [t.name, t]))
    this.#runner = runner
    this.#fastPath = fastPath
    this.#server = createSdkServer(tools, runner)
    this.#modern = createMcpHandler(() => createSdkServer(tools, runner), { legacy: 'reject' })
  }

  static async create(
    tools: readonly ToolDefinition[],
    runner: ToolRunner,
    options: { fastPath?: boolean } = {},
  ): Promise<McpEndpoint> {
    const endpoint = new McpEndpoint(tools, runner, options.fastPath ?? true)
    await endpoint.#server.connect(endpoint.#transport)
    return endpoint
  }

  /** The permission a `tools/call` of `name` needs: `undefined` for an unknown tool (the SDK answers it). */
  permissionFor(name: string): Permission | null | undefined {
    return this.#tools.get(name)?.permission
  }

  /** Dispatches one JSON-RPC request; resolves undefined if `signal` aborted it. */
  async request(
    message: JSONRPCRequest,
    principal: Principal,
    meta: CallMeta,
    signal: AbortSignal | undefined,
  ): Promise<JsonRpcReply | undefined> {
    if (message.method === 'tools/call') {
      const call = this.#classify(message)
      if (call.kind === 'valid' && this.#fastPath) {
        const result = await this.#runner.run(
          call.tool,
          call.args,
          principal,
          signal ?? NEVER_ABORTED,
          meta,
          call.rawArgs,
        )
        if (signal?.aborted === true) return undefined
        return { result, jsonrpc: '2.0', id: message.id } as unknown as JsonRpcReply
      }
      // The SDK answers these with its own error; the call is audited here, since no tool runs.
      if (call.kind === 'invalid')
        this.#runner.recordRefused(call.tool.name, 'INPUT_INVALID', principal, meta, call.rawArgs)
      if (call.kind === 'unknown') this.#runner.recordRefused(call.name, 'NOT_FOUND', principal, meta, call.rawArgs)
    }
    return this.#transport.request(message, messageExtra(principal, meta), signal)
  }

  /**
   * Sorts a `tools/call`: a well-formed call of a known tool with valid
   * arguments may take the fast path (the SDK's dispatch skipped, same result);
   * anything else goes to the SDK, which owns every error answer. Golden tests
   * check that both paths answer with the same bytes.
   */
  #classify(message: JSONRPCRequest): ToolCallClass {
    const checked = specTypeSchemas.CallToolRequest['~standard'].validate(message)
    if (checked instanceof Promise || checked.issues !== undefined) return { kind: 'malformed' }
    const params = message.params as { name: string; arguments?: Record<string, unknown> }
    const rawArgs = params.arguments ?? {}
    const tool = this.#tools.get(params.name)
    if (tool === undefined) return { kind: 'unknown', name: params.name, rawArgs }
    const parsed = tool.input.safeParse(rawArgs)
    if (!parsed.success) return { kind: 'invalid', tool, rawArgs }
    return { kind: 'valid', tool, args: parsed.data as Record<string, unknown>, rawArgs }
  }

  /**
   * Serves one 2026-07-28 request through the SDK's entry. `body` is the parsed
   * JSON of `request`; tool calls in it are audited like on the legacy leg.
   */
  async modern(request: Request, body: unknown, principal: Principal, meta: CallMeta): Promise<Response> {
    for (const message of Array.isArray(body) ? body : [body]) {
      if (isObject(message) && message.method === 'tools/call')
        this.#auditRefused(message as JSONRPCRequest, principal, meta)
    }
    return this.#modern.fetch(request, { authInfo: authInfoOf(principal, meta), parsedBody: body })
  }

  #auditRefused(message: JSONRPCRequest, principal: Principal, meta: CallMeta): ToolCallClass {
    const call = this.#classify(message)
    // The SDK answers these with its own error; the call is audited here, since no tool runs.
    if (call.kind === 'invalid')
      this.#runner.recordRefused(call.tool.name, 'INPUT_INVALID', principal, meta, call.rawArgs)
    if (call.kind === 'unknown') this.#runner.recordRefused(call.name, 'NOT_FOUND', principal, meta, call.rawArgs)
    return call
  }

  notify(message: JSONRPCNotification, principal: Principal, meta: CallMeta): void {
    this.#transport.notify(message, messageExtra(principal, meta))
  }

  async close(): Promise<void> {
    await this.#modern.close()
    await this.#server.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

const NEVER_ABORTED = new AbortController().signal

type ToolCallClass =
  | { readonly kind: 'malformed' }
  | { readonly kind: 'unknown'; readonly name: string; readonly rawArgs: Record<string, unknown> }
  | { readonly kind: 'invalid'; readonly tool: ToolDefinition; readonly rawArgs: Record<string, unknown> }
  | {
      readonly kind: 'valid'
      readonly tool: ToolDefinition
      readonly args: Record<string, unknown>
      readonly rawArgs: Record<string, unknown>
    }

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
