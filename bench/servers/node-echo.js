// The ceiling reference of SPEC §9: a bare node:http server that answers every request with its own
// body as JSON (no parsing, no auth, no MCP). Nothing on this machine serves the same request faster.
//
//   node bench/servers/node-echo.js [--port 0]    → prints `READY <url>`; SIGTERM stops it.
import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})

const http = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
})

http.listen(Number(values.port), values.host, () => {
  const { address, port } = http.address()
  console.log(`READY http://${address}:${port}`)
})

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  http.close(() => process.exit(0))
  http.closeIdleConnections()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
