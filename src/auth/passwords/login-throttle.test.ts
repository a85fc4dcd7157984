import { describe, expect, it } from 'vitest'
import { LoginThrottle } from './login-throttle.js'

describe('LoginThrottle', () => {
  const clock = () => {
    let t = 1_000_000
    return { now: () => t, advance: (ms: number) => (t += ms) }
  }

  it('refuses an account after its failures reach the limit, until the window ends', () => {
    const c = clock()
    const throttle = new LoginThrottle({ perAccount: 3, perSource: 100, windowMs: 60_000, now: c.now })
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter('1.2.3.4', 'a@x')).toBe(0)
      throttle.failed('1.2.3.4', 'a@x')
    }
    expect(throttle.retryAfter('5.6.7.8', 'a@x')).toBe(60)
    expect(throttle.retryAfter('1.2.3.4', 'b@x')).toBe(0)
    c.advance(60_000)
    expect(throttle.retryAfter('1.2.3.4', 'a@x')).toBe(0)
  })

  it('refuses a source that sprays many accounts', () => {
    const c = clock()
    const throttle = new LoginThrottle({ perAccount: 100, perSource: 2, windowMs: 10_000, now: c.now })
    throttle.failed('9.9.9.9', 'a@x')
    throttle.failed('9.9.9.9', 'b@x')
    expect(throttle.retryAfter('9.9.9.9', 'c@x')).toBe(10)
    expect(throttle.retryAfter('8.8.8.8', 'c@x')).toBe(0)
  })

  it("forgets an account's failures after a successful sign-in", () => {
    const throttle = new LoginThrottle({ perAccount: 2, perSource: 100 })
    throttle.failed('1.1.1.1', 'a@x')
    throttle.succeeded('a@x')
    throttle.failed('1.1.1.1', 'a@x')
    expect(throttle.retryAfter('1.1.1.1', 'a@x')).toBe(0)
  })
})
