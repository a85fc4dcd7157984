import { parse } from 'libpg-query'
import { SqlRefusedError } from '../sql-refused-error.js'

/**
 * PostgreSQL's own grammar (libpg-query is the server's parser compiled to
 * WebAssembly): the AST every check and rewrite of PostgreSQL SQL starts from.
 */
export async function parsePostgres(sql: string): Promise<unknown> {
  try {
    return await parse(sql)
  } catch (error) {
    throw new SqlRefusedError(`The query could not be parsed: ${(error as Error).message}`)
  }
}
