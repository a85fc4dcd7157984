import { AsyncLocalStorage } from 'node:async_hooks'
import { describe, expect, it } from 'vitest'
import { AsyncContextGate } from './request-context.js'

describe('AsyncContextGate', () => {
  it('disables the storages once no request is in flight, and not before', async () => {
    const storage = new AsyncLocalStorage<number>()
    const gate = new AsyncContextGate([storage])
    let releaseFirst = () => {}
    const first = gate.around(() =>
      storage.run(1, async () => {
        await new Promise<void>((resolve) => (releaseFirst = resolve))
        return storage.getStore()
      }),
    )
    const second = await gate.around(async () => storage.run(2, async () => storage.getStore()))
    expect(second).toBe(2)
    // The first request is still in flight: its context must survive the second one's end.
    releaseFirst()
    expect(await first).toBe(1)
    expect(storage.getStore()).toBeUndefined()
    // A later run enables it again.
    expect(await gate.around(async () => storage.run(3, async () => storage.getStore()))).toBe(3)
  })

  it('disables the storages when the work fails too', async () => {
    let disabled = 0
    const gate = new AsyncContextGate([{ disable: () => (disabled += 1) }])
    await expect(gate.around(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(disabled).toBe(1)
  })
})
