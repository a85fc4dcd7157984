import { createMcpHandler, specTypeSchemas } from '@modelcontextprotocol/server'
import type { JSONRPCNotification, JSONRPCRequest, McpHttpHandler, McpServer } from '@modelcontextprotocol/server'
import type { Principal } from '../domain/principal.js'
import type { Permission } from '../domain/permissions.js'
import type { ToolDefinition } from './tool-definition.js'
import type { CallMeta, ToolRunner } from './tool-runner.js'
import { InProcessTransport } from './in-process-transport.js'
import type { JsonRpcReply } from './in-process-transport.js'
import { authInfoOf, createSdkServer, messageExtra } from './sdk-server.js'
import type { CustomTools } from './custom-tools.js'
import { customToolError } from './tool-error.js'

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
  readonly #custom: CustomTools | undefined

  readonly #modern: McpHttpHandler

  private constructor(
    tools: readonly ToolDefinition[],
    runner: ToolRunner,
    fastPath: boolean,
    custom: CustomTools | undefined,
  ) {
    this.#tools = new Map(tools.map((t) => [t.name, t]))
    this.#runner = runner
    this.#fastPath = fastPath
    this.#custom = custom
    this.#server = createSdkServer(tools, runner)
    // The modern leg builds a server per request anyway: it gets the caller's custom tools registered.
    this.#modern = createMcpHandler(
      async (context) => {
        const principal = (context.authInfo?.extra as { principal?: Principal } | undefined)?.principal
        if (custom === undefined || principal === undefined) return createSdkServer(tools, runner)
        const own = [...(await custom.forPrincipal(principal)).values()].filter((t) => !this.#tools.has(t.name))
        return createSdkServer([...tools, ...own], runner)
      },
      { legacy: 'reject' },
    )
  }

  static async create(
    tools: readonly ToolDefinition[],
    runner: ToolRunner,
    options: { fastPath?: boolean; customTools?: CustomTools } = {},
  ): Promise<McpEndpoint> {
    const endpoint = new McpEndpoint(tools, runner, options.fastPath ?? true, options.customTools)
    await endpoint.#server.connect(endpoint.#transport)
    return endpoint
  }

  /** The permission a `tools/call` of `name` needs: `undefined` for an unknown tool (the SDK answers it). */
  permissionFor(name: string): Permission | null | undefined {
    return this.#tools.get(name)?.permission
  }

  /** Same, for a name that is not built in: one of the principal's custom tools, or unknown. */
  async customPermissionFor(name: string, principal: Principal): Promise<Permission | null | undefined> {
    if (this.#custom === undefined) return undefined
    return (await this.#custom.forPrincipal(principal)).get(name)?.permission
  }

  /** Dispatches one JSON-RPC request; resolves undefined if `signal` aborted it. */
  async request(
    message: JSONRPCRequest,
    principal: Principal,
    meta: CallMeta,
    signal: AbortSignal | undefined,
  ): Promise<JsonRpcReply | undefined> {
    if (message.method === 'tools/list' && this.#custom !== undefined) {
      const reply = await this.#transport.request(message, messageExtra(principal, meta), signal)
      const custom = await this.#custom.forPrincipal(principal)
      const result = (reply as { result?: { tools?: unknown[] } } | undefined)?.result
      if (custom.size > 0 && Array.isArray(result?.tools)) {
        const own = [...custom.values()].filter((t) => !this.#tools.has(t.name))
        result.tools = [...result.tools, ...this.#custom.listed(own)]
      }
      return reply
    }
    if (message.method === 'tools/call') {
      const call = this.#classify(message)
      if (call.kind === 'unknown' && this.#custom !== undefined) {
        const tool = (await this.#custom.forPrincipal(principal)).get(call.name)
        if (tool !== undefined) {
          const custom = classifyArguments(tool, call.rawArgs)
          // Custom tools are not registered on the shared SDK server: they are always dispatched here.
          const result =
            custom.kind === 'valid'
              ? await this.#runner.run(tool, custom.args, principal, signal ?? NEVER_ABORTED, meta, call.rawArgs)
              : this.#invalid(tool, call.rawArgs, principal, meta)
          if (signal?.aborted === true) return undefined
          return { result, jsonrpc: '2.0', id: message.id } as unknown as JsonRpcReply
        }
      }
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
    return classifyArguments(tool, rawArgs)
  }

  /** Invalid arguments of a custom tool: audited, and answered as the SDK answers its own tools. */
  #invalid(tool: ToolDefinition, rawArgs: Record<string, unknown>, principal: Principal, meta: CallMeta) {
    this.#runner.recordRefused(tool.name, 'INPUT_INVALID', principal, meta, rawArgs)
    return customToolError(tool, rawArgs)
  }

  /**
   * Serves one 2026-07-28 request through the SDK's entry. `body` is the parsed
   * JSON of `request`; tool calls in it are audited like on the legacy leg.
   */
  async modern(request: Request, body: unknown, principal: Principal, meta: CallMeta): Promise<Response> {
    for (const message of Array.isArray(body) ? body : [body]) {
      if (isObject(message) && message.method === 'tools/call')
        await this.#auditRefused(message as JSONRPCRequest, principal, meta)
    }
    return this.#modern.fetch(request, { authInfo: authInfoOf(principal, meta), parsedBody: body })
  }

  async #auditRefused(message: JSONRPCRequest, principal: Principal, meta: CallMeta): Promise<void> {
    let call = this.#classify(message)
    if (call.kind === 'unknown' && this.#custom !== undefined) {
      const tool = (await this.#custom.forPrincipal(principal)).get(call.name)
      if (tool !== undefined) call = classifyArguments(tool, call.rawArgs)
    }
    // The SDK answers these with its own error; the call is audited here, since no tool runs.
    if (call.kind === 'invalid')
      this.#runner.recordRefused(call.tool.name, 'INPUT_INVALID', principal, meta, call.rawArgs)
    if (call.kind === 'unknown') this.#runner.recordRefused(call.name, 'NOT_FOUND', principal, meta, call.rawArgs)
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

function classifyArguments(tool: ToolDefinition, rawArgs: Record<string, unknown>): ToolCallClass {
  const parsed = tool.input.safeParse(rawArgs)
  if (!parsed.success) return { kind: 'invalid', tool, rawArgs }
  return { kind: 'valid', tool, args: parsed.data as Record<string, unknown>, rawArgs }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
