import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callTool, createKey, mcpPost, seedOrg } from '../support/test-server.js'
import { runCli, spawnServe } from '../support/spawn-gatehouse.js'
import { Store } from '../../src/store/store.js'

describe('gatehouse serve --workers', () => {
  let dir: string
  let configPath: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'))
    configPath = join(dir, 'gatehouse.yaml')
    writeFileSync(configPath, 'server:\n  port: 0\nstore:\n  url: sqlite:./state.db\nlogging:\n  level: warn\n')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('serves from several processes, each with its own audit chain, and stops them all on SIGTERM', async () => {
    const store = Store.open(`sqlite:${join(dir, 'state.db')}`)
    await store.migrate()
    const fixture = await seedOrg(store)
    const { key } = await createKey(store, fixture)
    await store.close()

    const server = await spawnServe(configPath, ['--workers', '2'])
    try {
      const auth = { authorization: `Bearer ${key}` }
      const statuses: number[] = []
      // New connections each time, so the primary hands them to both workers.
      for (let i = 0; i < 20; i++) {
        const res = await mcpPost(server.url, callTool('list_projects'), { ...auth, connection: 'close' })
        statuses.push(res.status)
        await res.arrayBuffer()
      }
      expect(statuses.every((s) => s === 200)).toBe(true)
    } finally {
      expect(await server.stop()).toBe(0)
    }

    const after = Store.open(`sqlite:${join(dir, 'state.db')}`)
    try {
      const calls = await after.audit.query({ type: 'mcp.call' })
      expect(calls).toHaveLength(20)
      expect(new Set(calls.map((c) => c.chain_id)).size).toBe(2)
    } finally {
      await after.close()
    }
    const verified = await runCli(['--config', configPath, 'audit', 'verify'])
    expect(verified.code).toBe(0)
  })

  it('stops with exit code 1 when its workers cannot start', async () => {
    const bad = join(dir, 'bad.yaml')
    writeFileSync(
      bad,
      'server:\n  port: 0\n  host: 203.0.113.1\nstore:\n  url: sqlite:./state.db\nlogging:\n  level: silent\n',
    )
    const result = await runCli(['--config', bad, 'serve', '--workers', '2'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('before it was listening; stopping')
  })
})
