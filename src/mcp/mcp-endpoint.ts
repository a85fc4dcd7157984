import { McpServer, specTypeSchemas } from '@modelcontextprotocol/server'
import type { AuthInfo, JSONRPCNotification, JSONRPCRequest, MessageExtraInfo } from '@modelcontextprotocol/server'
import type { Principal } from '../domain/principal.js'
import type { Permission } from '../domain/permissions.js'
import type { ToolDefinition } from './tool-definition.js'
import type { CallMeta, ToolRunner } from './tool-runner.js'
import { InProcessTransport } from './in-process-transport.js'
import type { JsonRpcReply } from './in-process-transport.js'

export const SERVER_INFO = { name: 'gatehouse', version: '0.1.0' } as const

/** What the endpoint passes through the SDK to a tool handler, in `AuthInfo.extra`. */
interface CallExtra {
  readonly principal: Principal
  readonly meta: CallMeta
}

/**
 * One long-lived SDK `McpServer` behind an in-process transport, plus a fast
 * path for plain `tools/call` requests (SPEC §1, §9). The server is built once;
 * per-request facts (principal, source address) travel with each message and
 * are never stored on the shared instance, whose own per-client state (the
 * last `initialize`'s capabilities) nothing here reads.
 */
export class McpEndpoint implements AsyncDisposable {
  readonly #server: McpServer
  readonly #transport = new InProcessTransport()
  readonly #tools: ReadonlyMap<string, ToolDefinition>
  readonly #runner: ToolRunner
  readonly #fastPath: boolean

  private constructor(tools: readonly ToolDefinition[], runner: ToolRunner, fastPath: boolean) {
    this.#tools = new Map(tools.map((t) => [t.name, t]))
    this.#runner = runner
    this.#fastPath = fastPath
    this.#server = new McpServer(SERVER_INFO, { capabilities: { tools: { listChanged: false } } })
    for (const tool of tools) {
      this.#server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.input,
          ...(tool.annotations !== undefined && { annotations: tool.annotations }),
        },
        async (args: Record<string, unknown>, ctx) => {
          const extra = ctx.http?.authInfo?.extra as CallExtra | undefined
          // Every message is dispatched with its principal; a call without one is a wiring fault, never allowed.
          if (extra === undefined) throw new Error('tools/call dispatched without a principal')
          return this.#runner.run(tool, args, extra.principal, ctx.mcpReq.signal, extra.meta, args) as never
        },
      )
    }
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

  notify(message: JSONRPCNotification, principal: Principal, meta: CallMeta): void {
    this.#transport.notify(message, messageExtra(principal, meta))
  }

  async close(): Promise<void> {
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

function messageExtra(principal: Principal, meta: CallMeta): MessageExtraInfo {
  // The credential itself never enters the SDK: `token` carries the credential's id only.
  const authInfo: AuthInfo = {
    token: principal.tokenId,
    clientId: principal.clientId ?? principal.keyPrefix ?? principal.kind,
    scopes: [...principal.scopes],
    ...(principal.expiresAt !== null && { expiresAt: Math.floor(principal.expiresAt / 1000) }),
    extra: { principal, meta } satisfies CallExtra as unknown as Record<string, unknown>,
  }
  return { authInfo }
}
