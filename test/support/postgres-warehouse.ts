import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import pg from 'pg'
import { randomBase62 } from '../../src/domain/ids.js'
import { PG_ADMIN_URL } from './test-stores.js'

/**
 * A DuckDB warehouse copied into a fresh PostgreSQL database, for tests that
 * run the same queries on both engines. `url` connects as a role that can only
 * read: not a superuser, no BYPASSRLS, owner of nothing, SELECT and nothing else,
 * which is what `PostgresEngine.check()` demands of a real connection.
 */
export interface PostgresWarehouse extends AsyncDisposable {
  readonly url: string
  readonly database: string
  readonly role: string
  /** Ends the database's connections, drops it and the role; calling it again does nothing. */
  drop(): Promise<void>
}

export interface LoadWarehouseOptions {
  /** A superuser connection; `GATEHOUSE_TEST_PG_URL` or local trust auth by default. */
  readonly adminUrl?: string
}

interface SourceColumn {
  readonly name: string
  readonly type: string
  readonly nullable: boolean
}

interface SourceTable {
  readonly name: string
  readonly columns: readonly SourceColumn[]
  readonly keys: readonly { readonly kind: 'PRIMARY KEY' | 'UNIQUE'; readonly columns: readonly string[] }[]
}

/** PostgreSQL's limit on bind parameters in one statement (a 16-bit count in the wire protocol). */
const MAX_PARAMETERS = 65_535
const MAX_BATCH_ROWS = 5_000

const SIMPLE_TYPES: Readonly<Record<string, string>> = {
  VARCHAR: 'text',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  BOOLEAN: 'boolean',
  SMALLINT: 'smallint',
  INTEGER: 'integer',
  BIGINT: 'bigint',
  DOUBLE: 'double precision',
}

const SOURCE_CONFIG: Readonly<Record<string, string>> = {
  access_mode: 'READ_ONLY',
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
}

export async function loadWarehouseIntoPostgres(
  duckdbPath: string,
  options: LoadWarehouseOptions = {},
): Promise<PostgresWarehouse> {
  const adminUrl = options.adminUrl ?? PG_ADMIN_URL
  const suffix = randomBase62(10).toLowerCase()
  const database = `gh_wh_${suffix}`
  const role = `gh_wh_reader_${suffix}`
  let dropping: Promise<void> | undefined
  const drop = () => (dropping ??= dropWarehouse(adminUrl, database, role))

  const admin = await connect(adminUrl)
  try {
    try {
      await admin.query(`CREATE DATABASE ${database}`)
      await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION`)
    } finally {
      await admin.end()
    }
    const target = await connect(urlFor(adminUrl, undefined, database))
    try {
      await target.query('BEGIN')
      await target.query('CREATE SCHEMA main')
      await copyTables(duckdbPath, target)
      // Only CONNECT on the database (no TEMP), USAGE on main, SELECT on its tables: nothing to write to anywhere.
      await target.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`)
      await target.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
      await target.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`)
      await target.query(`GRANT USAGE ON SCHEMA main TO ${role}`)
      await target.query(`GRANT SELECT ON ALL TABLES IN SCHEMA main TO ${role}`)
      await target.query('COMMIT')
    } finally {
      await target.end()
    }
  } catch (error) {
    // The load's failure is the one worth reporting; a failed clean-up would only hide it.
    await drop().catch(() => {})
    throw error
  }

  return { url: urlFor(adminUrl, role, database), database, role, drop, [Symbol.asyncDispose]: drop }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for the cross-engine tests and is not reachable at ${url}: ${(error as Error).message}`,
    )
  }
  return client
}

/** The admin URL's server and options, with another user (no password: trust auth) and database. */
function urlFor(adminUrl: string, user: string | undefined, database: string): string {
  const url = new URL(adminUrl)
  if (user !== undefined) {
    url.username = user
    url.password = ''
  }
  url.pathname = `/${database}`
  return url.toString()
}

async function dropWarehouse(adminUrl: string, database: string, role: string): Promise<void> {
  const admin = await connect(adminUrl)
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.query(`DROP ROLE IF EXISTS ${role}`)
  } finally {
    await admin.end()
  }
}

async function copyTables(duckdbPath: string, target: pg.Client): Promise<void> {
  const instance = await DuckDBInstance.create(duckdbPath, { ...SOURCE_CONFIG })
  try {
    const source = await instance.connect()
    try {
      for (const table of await sourceTables(source)) {
        await target.query(createTable(table))
        await copyRows(source, target, table)
        for (const key of table.keys) {
          await target.query(
            `ALTER TABLE main.${quote(table.name)} ADD ${key.kind} (${key.columns.map(quote).join(', ')})`,
          )
        }
      }
    } finally {
      source.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

async function sourceTables(source: DuckDBConnection): Promise<SourceTable[]> {
  const columns = (
    await source.runAndReadAll(
      `SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_name, column_index`,
    )
  ).getRowsJson() as [string, string, string, boolean][]
  const keys = (
    await source.runAndReadAll(
      `SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints()
        WHERE database_name = current_database() AND schema_name = 'main'
          AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY table_name, constraint_index`,
    )
  ).getRowsJson() as [string, 'PRIMARY KEY' | 'UNIQUE', string[]][]
  const tables = new Map<string, { name: string; columns: SourceColumn[]; keys: SourceTable['keys'][number][] }>()
  for (const [table, name, type, nullable] of columns) {
    let entry = tables.get(table)
    if (entry === undefined) tables.set(table, (entry = { name: table, columns: [], keys: [] }))
    entry.columns.push({ name, type, nullable })
  }
  for (const [table, kind, names] of keys) tables.get(table)?.keys.push({ kind, columns: names })
  return [...tables.values()]
}

function createTable(table: SourceTable): string {
  const columns = table.columns.map((c) => `${quote(c.name)} ${postgresType(c.type)}${c.nullable ? '' : ' NOT NULL'}`)
  return `CREATE TABLE main.${quote(table.name)} (${columns.join(', ')})`
}

function postgresType(duckdbType: string): string {
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckdbType)
  if (decimal !== null) return `numeric(${decimal[1]},${decimal[2]})`
  const type = SIMPLE_TYPES[duckdbType]
  if (type === undefined) throw new Error(`No PostgreSQL type is mapped for DuckDB's ${duckdbType}`)
  return type
}

/**
 * Every value travels as DuckDB's text form, which PostgreSQL parses into the
 * column's type: decimals and 64-bit integers stay exact, timestamps keep
 * their wall-clock value.
 */
async function copyRows(source: DuckDBConnection, target: pg.Client, table: SourceTable): Promise<void> {
  const names = table.columns.map((c) => quote(c.name))
  const batchRows = Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / names.length))
  const insert = `INSERT INTO main.${quote(table.name)} (${names.join(', ')}) VALUES `
  const result = await source.stream(
    `SELECT ${names.map((n) => `${n}::VARCHAR`).join(', ')} FROM main.${quote(table.name)} ORDER BY rowid`,
  )
  let batch: unknown[][] = []
  const flush = async () => {
    if (batch.length === 0) return
    const tuples = batch.map((_, r) => `(${names.map((_, c) => `$${r * names.length + c + 1}`).join(', ')})`)
    await target.query(insert + tuples.join(', '), batch.flat())
    batch = []
  }
  for await (const rows of result.yieldRows()) {
    for (const row of rows) {
      batch.push(row)
      if (batch.length === batchRows) await flush()
    }
  }
  await flush()
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
