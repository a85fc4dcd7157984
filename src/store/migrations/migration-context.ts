export type StoreDialect = 'sqlite' | 'postgres'

/**
 * What a migration needs to know of its backend. One migration set serves both;
 * the only difference is the type of epoch-millisecond columns (SQLite's
 * INTEGER is already 64-bit, PostgreSQL needs BIGINT) and of serial ids.
 */
export interface MigrationContext {
  readonly dialect: StoreDialect
  readonly time: 'bigint' | 'integer'
  readonly serial: 'bigserial' | 'integer'
}

export function migrationContext(dialect: StoreDialect): MigrationContext {
  return {
    dialect,
    time: dialect === 'postgres' ? 'bigint' : 'integer',
    serial: dialect === 'postgres' ? 'bigserial' : 'integer',
  }
}
