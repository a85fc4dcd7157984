import pg from 'pg'
import { PostgresDialect } from 'kysely'

// BIGINT (int8) epoch-millisecond values fit a double exactly; parse them as numbers
// for this pool only, not through pg's global type registry.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export function createPostgresDialect(url: string, max = 10): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, types: types as pg.CustomTypesConfig })
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  return { dialect: new PostgresDialect({ pool }), pool }
}
