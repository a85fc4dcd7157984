// One `tools/call` at a time over one keep-alive `node:http` connection, timed from the request's start to
// the end of its answer: how the latency benches see the data path. Any answer but a 200 without a tool
// error rejects, so a broken run never passes for a fast one.
import { Agent, request } from 'node:http'
import { mcpHeaders } from './harness.js'

export function toolCaller(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const target = new URL(`${url}/mcp`)
  let id = 0
  /** Resolves with the milliseconds the call took and the tool's result. */
  const call = (credential, tool, args) => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name: tool, arguments: args },
    })
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint()
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { ...mcpHeaders(credential), 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks = []
          res.on('data', (c) => chunks.push(c))
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6
            const text = Buffer.concat(chunks).toString()
            if (res.statusCode !== 200)
              return reject(new Error(`${tool}: HTTP ${res.statusCode} ${text.slice(0, 300)}`))
            const parsed = JSON.parse(text)
            if (parsed.result?.isError === true) return reject(new Error(`${tool}: ${parsed.result.content[0].text}`))
            resolve({ ms, result: parsed.result })
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }
  return { call, close: () => agent.destroy() }
}
