// The demo warehouse copied from its DuckDB file into a fresh PostgreSQL database (schema `main`, as in
// DuckDB, so the demo project's table names hold), readable by a role the PostgreSQL engine accepts: not a
// superuser, no BYPASSRLS, owner of nothing, SELECT only. `drop()` removes the database and the role.
import { DuckDBInstance } from '@duckdb/node-api'
import pg from 'pg'
import { randomBytes } from 'node:crypto'

const TYPES = {
  VARCHAR: 'text',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  BOOLEAN: 'boolean',
  INTEGER: 'integer',
  BIGINT: 'bigint',
  DOUBLE: 'double precision',
}
const BATCH_ROWS = 20_000

function postgresType(duckdbType) {
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckdbType)
  if (decimal !== null) return `numeric(${decimal[1]},${decimal[2]})`
  if (TYPES[duckdbType] === undefined) throw new Error(`no PostgreSQL type for DuckDB's ${duckdbType}`)
  return TYPES[duckdbType]
}

const quote = (name) => `"${name.replaceAll('"', '""')}"`

/** `adminUrl`: a superuser connection (local trust auth for the reader role, which has no password). */
export async function loadDemoWarehouseIntoPostgres(duckdbPath, adminUrl) {
  const suffix = randomBytes(5).toString('hex')
  const database = `gh_bench_${suffix}`
  const role = `gh_bench_reader_${suffix}`
  const urlFor = (user, db) => {
    const url = new URL(adminUrl)
    if (user !== undefined) [url.username, url.password] = [user, '']
    url.pathname = `/${db}`
    return url.toString()
  }
  const onAdmin = async (work) => {
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    try {
      await work(admin)
    } finally {
      await admin.end()
    }
  }
  const drop = () =>
    onAdmin(async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      await admin.query(`DROP ROLE IF EXISTS ${role}`)
    })

  await onAdmin(async (admin) => {
    await admin.query(`CREATE DATABASE ${database}`)
    await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION`)
  })
  try {
    const target = new pg.Client({ connectionString: urlFor(undefined, database) })
    await target.connect()
    try {
      await target.query('CREATE SCHEMA main')
      await copyTables(duckdbPath, target)
      await target.query('ANALYZE')
      await target.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`)
      await target.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
      await target.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`)
      await target.query(`GRANT USAGE ON SCHEMA main TO ${role}`)
      await target.query(`GRANT SELECT ON ALL TABLES IN SCHEMA main TO ${role}`)
    } finally {
      await target.end()
    }
  } catch (error) {
    await drop().catch(() => {})
    throw error
  }
  return { url: urlFor(role, database), drop }
}

/** Values travel as DuckDB's text form, one array per column, and PostgreSQL casts them to the column's type. */
async function copyTables(duckdbPath, target) {
  const instance = await DuckDBInstance.create(duckdbPath, { access_mode: 'READ_ONLY' })
  const source = await instance.connect()
  try {
    const columns = (
      await source.runAndReadAll(
        `SELECT table_name, column_name, data_type FROM duckdb_columns()
          WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_name, column_index`,
      )
    ).getRowsJson()
    const keys = (
      await source.runAndReadAll(
        `SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints()
          WHERE database_name = current_database() AND schema_name = 'main'
            AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')`,
      )
    ).getRowsJson()
    const tables = new Map()
    for (const column of columns) tables.set(column[0], [...(tables.get(column[0]) ?? []), column])
    for (const [table, cols] of tables) {
      const types = cols.map(([, , type]) => postgresType(type))
      const names = cols.map(([, name]) => quote(name))
      await target.query(`CREATE TABLE main.${quote(table)} (${names.map((n, i) => `${n} ${types[i]}`).join(', ')})`)
      const rows = (
        await source.runAndReadAll(
          `SELECT ${names.map((n) => `CAST(${n} AS VARCHAR)`).join(', ')} FROM main.${quote(table)}`,
        )
      ).getRows()
      const insert =
        `INSERT INTO main.${quote(table)} SELECT ${types.map((t, i) => `c${i}::${t}`).join(', ')} ` +
        `FROM unnest(${types.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${types.map((_, i) => `c${i}`).join(', ')})`
      for (let start = 0; start < rows.length; start += BATCH_ROWS) {
        const batch = rows.slice(start, start + BATCH_ROWS)
        await target.query(
          insert,
          types.map((_, i) => batch.map((row) => row[i])),
        )
      }
      for (const [, kind, keyColumns] of keys.filter(([t]) => t === table)) {
        await target.query(`ALTER TABLE main.${quote(table)} ADD ${kind} (${keyColumns.map(quote).join(', ')})`)
      }
    }
  } finally {
    source.closeSync()
    instance.closeSync()
  }
}
