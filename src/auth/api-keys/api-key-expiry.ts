export const KEY_EXPIRIES = ['never', '7d', '30d', '90d', '1y'] as const
export type KeyExpiry = (typeof KEY_EXPIRIES)[number]

const DAY = 86_400_000
const DURATION: Record<Exclude<KeyExpiry, 'never'>, number> = {
  '7d': 7 * DAY,
  '30d': 30 * DAY,
  '90d': 90 * DAY,
  '1y': 365 * DAY,
}

export function isKeyExpiry(value: string): value is KeyExpiry {
  return (KEY_EXPIRIES as readonly string[]).includes(value)
}

/** Epoch ms, or null for a key that never expires. */
export function expiryTime(expiry: KeyExpiry, now: number): number | null {
  return expiry === 'never' ? null : now + DURATION[expiry]
}
