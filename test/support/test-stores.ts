import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { randomBase62 } from '../../src/domain/ids.js'

/**
 * Store backends for tests. PostgreSQL is required: a missing server fails the
 * suite loudly instead of skipping it. `GATEHOUSE_TEST_PG_URL` points at a
 * server where the test user may create databases (default: local trust auth).
 */
export const PG_ADMIN_URL = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export type Backend = 'sqlite' | 'postgres'
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres']

export interface TestStoreUrl extends AsyncDisposable {
  readonly url: string
  dispose(): Promise<void>
}

/** A fresh, empty store location: a temp SQLite file, or a new PostgreSQL database dropped afterwards. */
export async function freshStoreUrl(backend: Backend): Promise<TestStoreUrl> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'))
    const dispose = async () => rmSync(dir, { recursive: true, force: true })
    return { url: `sqlite:${join(dir, 'state.db')}`, dispose, [Symbol.asyncDispose]: dispose }
  }
  const name = `gatehouse_test_${randomBase62(10).toLowerCase()}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for the store tests and is not reachable at ${PG_ADMIN_URL}: ${(error as Error).message}`,
    )
  }
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`)
  const dispose = async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL })
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await client.end()
  }
  return { url, dispose, [Symbol.asyncDispose]: dispose }
}
