import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { SqliteDialect } from 'kysely'

/** `sqlite:/abs/path.db` or `sqlite::memory:`. */
export function createSqliteDialect(url: string): SqliteDialect {
  const file = url.slice('sqlite:'.length)
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new BetterSqlite3(file)
  // WAL lets the CLI write while servers read; busy_timeout makes a writer wait
  // for another process's short transaction instead of failing at once.
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  db.pragma('synchronous = NORMAL')
  return new SqliteDialect({ database: db })
}
