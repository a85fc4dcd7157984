/**
 * Paste-ready client configurations for an MCP URL and a bearer credential:
 * the forms each client documents for a remote Streamable HTTP server.
 */
export interface ClientConfigs {
  /** `claude mcp add …` */
  readonly claude_code: string
  /** claude_desktop_config.json: Claude Desktop reaches remote servers with headers through mcp-remote. */
  readonly claude_desktop: Record<string, unknown>
  /** ~/.cursor/mcp.json or .cursor/mcp.json */
  readonly cursor: Record<string, unknown>
  /** .vscode/mcp.json */
  readonly vscode: Record<string, unknown>
  /** The MCP Inspector in CLI mode, listing the tools. */
  readonly mcp_inspector: string
}

export function clientConfigs(mcpUrl: string, token: string): ClientConfigs {
  const header = `Authorization: Bearer ${token}`
  return {
    claude_code: `claude mcp add --transport http gatehouse ${mcpUrl} --header "${header}"`,
    claude_desktop: {
      mcpServers: {
        gatehouse: { command: 'npx', args: ['-y', 'mcp-remote', mcpUrl, '--header', `Authorization:Bearer ${token}`] },
      },
    },
    cursor: { mcpServers: { gatehouse: { url: mcpUrl, headers: { Authorization: `Bearer ${token}` } } } },
    vscode: { servers: { gatehouse: { type: 'http', url: mcpUrl, headers: { Authorization: `Bearer ${token}` } } } },
    mcp_inspector:
      `npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http ` +
      `--header "${header}" --method tools/list`,
  }
}

/** The human form: each client's name, where the snippet goes, and the snippet. */
export function formatClientConfigs(configs: ClientConfigs): string {
  const json = (value: unknown) => JSON.stringify(value, null, 2)
  return [
    'Claude Code (terminal):',
    `  ${configs.claude_code}`,
    '',
    'Claude Desktop (Settings > Developer > Edit Config: claude_desktop_config.json):',
    json(configs.claude_desktop),
    '',
    'Cursor (~/.cursor/mcp.json):',
    json(configs.cursor),
    '',
    'VS Code (.vscode/mcp.json):',
    json(configs.vscode),
    '',
    'MCP Inspector (CLI):',
    `  ${configs.mcp_inspector}`,
  ].join('\n')
}
