import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { PROTOCOL_VERSION_META_KEY, SUPPORTED_PROTOCOL_VERSIONS, isLegacyRequest } from '@modelcontextprotocol/server'
import type { JSONRPCNotification, JSONRPCRequest } from '@modelcontextprotocol/server'
import type { Principal } from '../domain/principal.js'
import { AuthenticationError, GatehouseError, InsufficientScopeError, isGatehouseError } from '../domain/errors.js'
import { SCOPE_FOR_PERMISSION } from '../domain/permissions.js'
import type { Permission } from '../domain/permissions.js'
import type { AuditSink } from '../domain/audit-sink.js'
import type { Authenticator } from '../auth/authenticator.js'
import type { McpEndpoint } from '../mcp/mcp-endpoint.js'
import type { JsonRpcReply } from '../mcp/in-process-transport.js'
import type { CallMeta } from '../mcp/tool-runner.js'
import { httpErrorResponse } from './error-response.js'
import type { ChallengeOptions } from './error-response.js'
import type { ClientAddressResolver } from './client-address.js'
import type { Metrics } from './metrics.js'

export interface McpHandlerOptions {
  readonly endpoint: McpEndpoint
  readonly authenticator: Authenticator
  readonly audit: AuditSink
  readonly metrics: Metrics
  readonly addresses: ClientAddressResolver
  /** `<public_url>/.well-known/oauth-protected-resource/mcp`. */
  readonly resourceMetadataUrl: string
  readonly allowedOrigins: readonly string[]
  readonly maxBodyBytes: number
  /** Lower-case names of the headers SQL may read (`server.sql_request_headers`). */
  readonly sqlRequestHeaders?: readonly string[]
  /** Benchmarks only: skip authentication and act as this principal. */
  readonly insecureFixedPrincipal?: Principal
}

const SUPPORTED_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS
const FIRST_MODERN_REVISION = '2026-07-28'
const JSON_HEADERS = { 'content-type': 'application/json' }

type Message = Record<string, unknown>

/**
 * `POST /mcp`, Streamable HTTP, stateless (SPEC §3.4, §4). The checks run in a
 * fixed order — method, Origin, credential placement, authentication, media
 * type, size, JSON, protocol version, permissions — so nothing about a
 * request's body is revealed to a caller that cannot authenticate.
 */
export function createMcpHandler(options: McpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const allowedOrigins = new Set(options.allowedOrigins.map((o) => o.toLowerCase()))
  const readable = options.sqlRequestHeaders ?? []
  const defaultChallenge: ChallengeOptions = { resourceMetadata: options.resourceMetadataUrl, scope: 'mcp:read' }

  function sendError(res: ServerResponse, error: unknown, extraHeaders: Record<string, string> = {}): number {
    const answer = httpErrorResponse(error, defaultChallenge)
    res.writeHead(answer.status, { ...answer.headers, ...extraHeaders })
    res.end(JSON.stringify(answer.body))
    return answer.status
  }

  function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): number {
    res.writeHead(status, JSON_HEADERS)
    res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }))
    return status
  }

  async function handle(req: IncomingMessage, res: ServerResponse, meta: CallMeta): Promise<number> {
    const origin = req.headers.origin
    // DNS-rebinding defence (MCP transport spec): a browser Origin must be one we allow.
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
      return sendError(res, new GatehouseError('ORIGIN_NOT_ALLOWED', 'Origin not allowed'))
    }
    const cors: Record<string, string> =
      origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' }

    if (req.method === 'OPTIONS' && origin !== undefined) {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type, mcp-protocol-version, last-event-id',
        'access-control-max-age': '600',
      })
      res.end()
      return 204
    }
    if (req.method !== 'POST') {
      // Stateless serving offers no server-initiated stream (GET) and no session to end (DELETE).
      res.writeHead(405, { ...JSON_HEADERS, ...cors, allow: 'POST' })
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed.' } }))
      return 405
    }
    // RFC 6750 §2.3 allows a query-string token; MCP forbids it, and URLs end up in logs.
    if (req.url !== undefined && /[?&]access_token=/i.test(req.url)) {
      res.writeHead(400, { ...JSON_HEADERS, ...cors })
      res.end(
        JSON.stringify({
          error: 'invalid_request',
          error_description: 'Access tokens are accepted only in the Authorization header, never in the query string',
        }),
      )
      return 400
    }

    let principal: Principal
    try {
      principal =
        options.insecureFixedPrincipal ??
        options.authenticator.cached(req.headers.authorization) ??
        (await options.authenticator.authenticate(req.headers.authorization))
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error
      options.metrics.onAuthFailure(error.code)
      const keyPrefix = keyPrefixOf(req.headers.authorization)
      options.audit.record({
        type: 'auth.failed',
        data: {
          reason: error.code,
          ...(error.detail !== undefined && { detail: error.detail }),
          ...(keyPrefix !== undefined && { key_prefix: keyPrefix }),
          ...(meta.ip !== undefined && { ip: meta.ip }),
          ...(meta.userAgent !== undefined && { user_agent: meta.userAgent }),
        },
      })
      return sendError(res, error, cors)
    }

    if (!isJsonMediaType(req.headers['content-type'])) {
      res.writeHead(415, { ...JSON_HEADERS, ...cors })
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
        }),
      )
      return 415
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > options.maxBodyBytes) return tooLarge(res, options.maxBodyBytes)
    const raw = await readBody(req, options.maxBodyBytes)
    if (raw === undefined) return tooLarge(res, options.maxBodyBytes)

    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      return sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON')
    }

    const version = req.headers['mcp-protocol-version']
    if (typeof version === 'string' && version < FIRST_MODERN_REVISION && !SUPPORTED_VERSIONS.includes(version)) {
      return sendJsonRpcError(
        res,
        400,
        -32600,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_VERSIONS.join(', ')})`,
      )
    }

    const batch = Array.isArray(body)
    const messages: unknown[] = batch ? (body as unknown[]) : [body]
    if (messages.length === 0) return sendJsonRpcError(res, 400, -32600, 'Invalid Request: empty batch')

    // Permissions are decided before anything runs: a call the credential may not make is an HTTP 403.
    for (const message of messages) {
      const pending = neededPermission(message, options.endpoint, principal)
      // Built-in tools are decided without waiting; only a custom tool's permission is looked up.
      const needed = pending instanceof Promise ? await pending : pending
      if (needed !== null && !principal.permissions.has(needed)) {
        const scope = needed === 'admin' ? 'mcp:read' : SCOPE_FOR_PERMISSION[needed]
        return sendError(res, new InsufficientScopeError(scope), cors)
      }
    }

    // 2026-07-28 traffic names its revision in a header and a per-message `_meta` envelope; the cheap test
    // keeps the SDK's classifier off the path of 2025-era requests.
    if ((typeof version === 'string' && version >= FIRST_MODERN_REVISION) || raw.includes(PROTOCOL_VERSION_META_KEY)) {
      // A controller of its own: the web Request would keep a listener on a connection-wide signal.
      const gone = new AbortController()
      res.once('close', () => !res.writableFinished && gone.abort())
      const request = webRequest(req, raw, gone.signal)
      if (!(await isLegacyRequest(request, body))) {
        return sendWebResponse(res, await options.endpoint.modern(request, body, principal, meta), cors)
      }
    }

    const gone = clientGone(req.socket)
    const replies: JsonRpcReply[] = []
    await Promise.all(
      messages.map(async (message) => {
        const reply = await dispatch(message, principal, meta, gone)
        if (reply !== undefined) replies.push(reply)
      }),
    )
    if (gone.aborted) return 499

    if (replies.length === 0) {
      // Only notifications or responses: accepted, nothing to answer (Streamable HTTP).
      res.writeHead(202, cors)
      res.end()
      return 202
    }
    if (batch) replies.sort((a, b) => messageIndex(messages, a) - messageIndex(messages, b))
    const payload = JSON.stringify(batch ? replies : replies[0])
    // A known length spares chunked framing: headers and body leave in one write.
    res.writeHead(200, { ...JSON_HEADERS, ...cors, 'content-length': String(Buffer.byteLength(payload)) })
    res.end(payload)
    return 200
  }

  async function dispatch(
    message: unknown,
    principal: Principal,
    meta: CallMeta,
    signal: AbortSignal,
  ): Promise<JsonRpcReply | undefined> {
    if (!isObject(message) || message.jsonrpc !== '2.0') return invalidRequest(message)
    const { id, method } = message
    if (typeof method === 'string') {
      if (id === undefined) {
        options.endpoint.notify(message as unknown as JSONRPCNotification, principal, meta)
        return undefined
      }
      if (typeof id !== 'string' && typeof id !== 'number') return invalidRequest(message)
      return options.endpoint.request(message as unknown as JSONRPCRequest, principal, meta, signal)
    }
    // A client's response to a server request: stateless serving never sends one, so there is nothing to match.
    if (id !== undefined && ('result' in message || 'error' in message)) return undefined
    return invalidRequest(message)
  }

  return (req, res) => {
    const started = performance.now()
    const meta: CallMeta = {
      ip: options.addresses.resolve(req.socket.remoteAddress, req.headers['x-forwarded-for']),
      userAgent: req.headers['user-agent'],
      ...(readable.length > 0 && { headers: readableHeaders(req, readable) }),
    }
    handle(req, res, meta).then(
      (status) => options.metrics.onRequest('mcp', status, (performance.now() - started) / 1000),
      (error: unknown) => {
        if (!res.headersSent)
          sendError(res, isGatehouseError(error) ? error : new GatehouseError('INTERNAL', 'internal'))
        else res.destroy()
        options.metrics.onRequest('mcp', 500, (performance.now() - started) / 1000)
      },
    )
  }
}

/** The allowlisted headers of a request, for `get_request_header` (a repeated header's values joined by ", "). */
function readableHeaders(req: IncomingMessage, names: readonly string[]): ReadonlyMap<string, string> {
  const headers = new Map<string, string>()
  for (const name of names) {
    const value = req.headers[name]
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  return headers
}

/** The web `Request` the SDK's modern entry takes; the body was already read (and size-checked). */
function webRequest(req: IncomingMessage, raw: string, signal: AbortSignal): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  return new Request(`http://gatehouse.internal${req.url ?? '/mcp'}`, { method: 'POST', headers, body: raw, signal })
}

async function sendWebResponse(res: ServerResponse, response: Response, cors: Record<string, string>): Promise<number> {
  const headers: Record<string, string> = { ...cors }
  response.headers.forEach((value, name) => (headers[name] = value))
  res.writeHead(response.status, headers)
  if (response.body !== null)
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk)
  res.end()
  return response.status
}

const socketSignals = new WeakMap<Socket, AbortSignal>()

/**
 * Aborted when the client's connection closes. HTTP/1.1 cannot cancel one
 * request but by closing its connection, so one signal per connection serves
 * every request on it, and no request pays for a controller of its own.
 */
function clientGone(socket: Socket): AbortSignal {
  let signal = socketSignals.get(socket)
  if (signal === undefined) {
    const controller = new AbortController()
    socket.once('close', () => controller.abort())
    signal = controller.signal
    socketSignals.set(socket, signal)
  }
  return signal
}

function isObject(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalidRequest(message: unknown): JsonRpcReply {
  const id = isObject(message) && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null
  return { jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request' } }
}

function messageIndex(messages: unknown[], reply: JsonRpcReply): number {
  const index = messages.findIndex((m) => isObject(m) && m.id === reply.id)
  return index === -1 ? messages.length : index
}

/** The permission a message needs: `null` for none or for a name no tool has (the SDK answers those). */
function neededPermission(
  message: unknown,
  endpoint: McpEndpoint,
  principal: Principal,
): Permission | null | Promise<Permission | null> {
  if (!isObject(message) || message.method !== 'tools/call' || !isObject(message.params)) return null
  const name = message.params.name
  if (typeof name !== 'string') return null
  const builtIn = endpoint.permissionFor(name)
  if (builtIn !== undefined) return builtIn
  // Not built in: maybe one of the principal's custom tools (which need `data:read`).
  return endpoint.customPermissionFor(name, principal).then((permission) => permission ?? null)
}

function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json'
}

function tooLarge(res: ServerResponse, limit: number): number {
  res.writeHead(413, { ...JSON_HEADERS, connection: 'close' })
  res.end(
    JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: `Payload too large: the request body exceeds ${limit} bytes` },
    }),
  )
  return 413
}

/** Reads the body up to `limit` bytes; undefined when it is larger. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners('data')
        req.resume()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    })
    req.once('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    )
    req.once('error', reject)
  })
}

/** The visible `gk_<id>` part of an API key, safe to audit; never the secret. */
function keyPrefixOf(authorization: string | undefined): string | undefined {
  const match = /gk_([0-9A-Za-z]{12})_/.exec(authorization ?? '')
  return match === null ? undefined : `gk_${match[1]}`
}
