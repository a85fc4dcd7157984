// The MCP SDK v2's documented stateless serving, as the comparison point of SPEC §9:
// `createMcpHandler(factory)` builds a new `McpServer` (and transport) for every request. A 2025-06-18
// request (no per-request `_meta` envelope) takes the SDK's legacy stateless leg: a fresh server over a
// streamable HTTP transport with `sessionIdGenerator: undefined`, no `initialize` needed.
//
//   node bench/servers/sdk-stateless.js [--port 0]    → prints `READY <url>`; SIGTERM stops it.
//
// `list_projects` takes the same input and returns the same result shape as Gatehouse's, from a
// constant list (no store read, no auth): this favours the SDK side of the comparison.
// node:http ↔ web Request/Response are converted by hand (no @modelcontextprotocol/node dependency).
import { createServer } from 'node:http'
import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server'
import { z } from 'zod'

const { Request, Headers } = globalThis

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})

const PROJECTS = { projects: [{ id: 'prj_0123456789abcdef', name: 'p' }] }

function newServer() {
  const server = new McpServer({ name: 'sdk-stateless-bench', version: '0.0.0' }, { capabilities: { tools: {} } })
  server.registerTool(
    'list_projects',
    {
      title: 'List projects',
      description: 'Lists the projects this credential can use, with their ids and names.',
      inputSchema: z.object({ response_format: z.enum(['json', 'markdown']).optional() }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => ({ content: [{ type: 'text', text: JSON.stringify(PROJECTS) }], structuredContent: PROJECTS }),
  )
  return server
}

const handler = createMcpHandler(() => newServer(), {
  onerror: (error) => console.error('sdk-stateless:', error.message),
})

const http = createServer((req, res) => {
  serve(req, res).catch((error) => {
    console.error('sdk-stateless: request failed', error)
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
    res.end()
  })
})

async function serve(req, res) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1])
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
    method: req.method,
    headers,
    ...(hasBody && { body: Buffer.concat(chunks) }),
  })
  const response = await handler.fetch(request)
  const outHeaders = {}
  response.headers.forEach((value, name) => {
    outHeaders[name] = value
  })
  res.writeHead(response.status, outHeaders)
  if (response.body === null) {
    res.end()
    return
  }
  // The legacy leg may answer with an SSE stream: pipe it through as it comes.
  await new Promise((resolve, reject) => {
    Readable.fromWeb(response.body).on('error', reject).pipe(res).on('finish', resolve).on('error', reject)
  })
}

http.keepAliveTimeout = 5000
http.listen(Number(values.port), values.host, () => {
  const { address, port } = http.address()
  console.log(`READY http://${address}:${port}`)
})

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  http.close(() => {
    handler.close().finally(() => process.exit(0))
  })
  http.closeIdleConnections()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
