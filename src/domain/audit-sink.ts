/**
 * Where layers report what happened. The audit writer implements it; layers
 * below `audit/` depend on this shape only, so recording stays a cheap,
 * synchronous call on the request path.
 */
export interface AuditSink {
  record(event: {
    readonly type: string
    readonly orgId?: string
    readonly at?: number
    readonly data: Readonly<Record<string, unknown>>
  }): void
}
