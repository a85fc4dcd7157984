import pg from 'pg'
import { PG_ADMIN_URL } from './test-stores.js'

/**
 * The server side of the PostgreSQL RLS oracles (test/data/postgres-rls and
 * rls-properties): scratch roles and databases on the admin URL's server, and
 * clients that read every value as PostgreSQL's text.
 */

/** The scratch roles and databases of one oracle run. */
export interface OracleObjects {
  readonly roles: readonly string[]
  readonly databases: readonly string[]
}

export interface ConnectOptions {
  /** PostgreSQL's statement_timeout for every query of the client; none by default. */
  readonly statementTimeoutMs?: number
}

/** Login roles that are not superuser, have no BYPASSRLS and own nothing, then empty databases. */
export async function createOracleObjects({ roles, databases }: OracleObjects): Promise<void> {
  await withClient(PG_ADMIN_URL, async (admin) => {
    for (const role of roles) {
      await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`)
    }
    for (const database of databases) await admin.query(`CREATE DATABASE ${database}`)
  })
}

/** Drops the databases, whoever is still connected to them, then the roles; what is not there is passed over. */
export async function dropOracleObjects({ roles, databases }: OracleObjects): Promise<void> {
  await withClient(PG_ADMIN_URL, async (admin) => {
    for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    for (const role of roles) await admin.query(`DROP ROLE IF EXISTS ${role}`)
  })
}

export async function connect(url: string, options: ConnectOptions = {}): Promise<pg.Client> {
  // Every value stays PostgreSQL's text: numerics, dates, timestamps and row values compare exactly.
  const client = new pg.Client({
    connectionString: url,
    ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
    types: { getTypeParser: () => (value: string) => value },
  })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for the RLS oracles and is not reachable at ${url}: ${(error as Error).message}`,
    )
  }
  return client
}

export async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url)
  try {
    return await body(client)
  } finally {
    await client.end()
  }
}

/** The admin URL's server, with another user (no password: trust auth) and database. */
export function urlFor(user: string | undefined, database: string): string {
  const url = new URL(PG_ADMIN_URL)
  if (user !== undefined) {
    url.username = user
    url.password = ''
  }
  url.pathname = `/${database}`
  return url.toString()
}
