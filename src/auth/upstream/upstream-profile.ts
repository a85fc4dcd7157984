/** Who the provider says signed in, before claim mapping; each protocol reads it its own way. */
export interface UpstreamProfile {
  /** Undefined when the provider did not say: the sign-in is then refused. */
  readonly subject: string | undefined
  readonly email: string | undefined
  readonly emailVerified: boolean
  readonly name: string | undefined
  /** What the claim mapping's paths read (ID token claims merged with userinfo, or the provider's user object). */
  readonly claims: Readonly<Record<string, unknown>>
}

export function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
