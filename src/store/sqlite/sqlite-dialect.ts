import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { SqliteDialect } from 'kysely'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

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
  return new SqliteDialect({ database: withStatementCache(db) })
}

/**
 * Kysely prepares every query anew; compiling the SQL is most of the cost of a
 * small query. Statements are kept by their text (the queries are built from
 * code, so the set is small and bounded) and reused: better-sqlite3 runs them
 * synchronously, so no two uses of one statement overlap.
 */
export function withStatementCache(db: BetterSqlite3.Database, maxStatements = 500): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>()
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      // Transactions take the write lock when they begin (BEGIN IMMEDIATE), so busy_timeout applies: a deferred
      // transaction that reads, then writes after another process committed, fails at once with SQLITE_BUSY.
      const sql = /^begin$/i.test(text) ? 'begin immediate' : text
      let statement = statements.get(sql)
      if (statement === undefined) {
        if (statements.size >= maxStatements) statements.delete(statements.keys().next().value as string)
        statement = db.prepare(sql) as unknown as SqliteStatement
        statements.set(sql, statement)
      }
      return statement
    },
  }
}
