import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ToolCallObserver } from '../mcp/tool-runner.js'

/** Prometheus metrics of one server process (SPEC §3.4 `/metrics`). */
export class Metrics implements ToolCallObserver {
  readonly registry = new Registry()
  readonly #requests: Counter<'route' | 'status'>
  readonly #duration: Histogram<'route'>
  readonly #toolCalls: Counter<'tool' | 'outcome'>
  readonly #authFailures: Counter<'reason'>

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' })
    this.#requests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: [this.registry],
    })
    this.#duration = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    })
    this.#toolCalls = new Counter({
      name: 'gatehouse_tool_calls_total',
      help: 'MCP tool calls by tool and outcome',
      labelNames: ['tool', 'outcome'],
      registers: [this.registry],
    })
    this.#authFailures = new Counter({
      name: 'gatehouse_auth_failures_total',
      help: 'Refused authentications by reason',
      labelNames: ['reason'],
      registers: [this.registry],
    })
  }

  onRequest(route: string, status: number, seconds: number): void {
    this.#requests.inc({ route, status: String(status) })
    this.#duration.observe({ route }, seconds)
  }

  onToolCall(tool: string, outcome: 'allow' | 'error'): void {
    this.#toolCalls.inc({ tool, outcome })
  }

  onAuthFailure(reason: string): void {
    this.#authFailures.inc({ reason })
  }
}
