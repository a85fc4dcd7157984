import { McpServer } from '@modelcontextprotocol/server'
import type { AuthInfo, MessageExtraInfo } from '@modelcontextprotocol/server'
import type { Principal } from '../domain/principal.js'
import type { ToolDefinition } from './tool-definition.js'
import type { CallMeta, ToolRunner } from './tool-runner.js'

export const SERVER_INFO = { name: 'gatehouse', version: '0.1.0' } as const

/** What travels with each message through the SDK to a tool handler, in `AuthInfo.extra`. */
interface CallExtra {
  readonly principal: Principal
  readonly meta: CallMeta
}

/**
 * An SDK `McpServer` serving `tools`, each call run by `runner`. The same
 * definition backs the long-lived legacy-era server and the per-request
 * modern-era ones, so the two eras cannot drift apart.
 */
export function createSdkServer(tools: readonly ToolDefinition[], runner: ToolRunner): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: { listChanged: false } } })
  for (const tool of tools) {
    server.registerTool(
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
        return runner.run(tool, args, extra.principal, ctx.mcpReq.signal, extra.meta, args) as never
      },
    )
  }
  return server
}

/** The SDK's view of a principal. The credential itself never enters the SDK: `token` carries its id only. */
export function authInfoOf(principal: Principal, meta: CallMeta): AuthInfo {
  return {
    token: principal.tokenId,
    clientId: principal.clientId ?? principal.keyPrefix ?? principal.kind,
    scopes: [...principal.scopes],
    ...(principal.expiresAt !== null && { expiresAt: Math.floor(principal.expiresAt / 1000) }),
    extra: { principal, meta } satisfies CallExtra as unknown as Record<string, unknown>,
  }
}

export function messageExtra(principal: Principal, meta: CallMeta): MessageExtraInfo {
  return { authInfo: authInfoOf(principal, meta) }
}
