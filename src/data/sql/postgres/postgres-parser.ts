import { parse } from 'libpg-query'
import { isNestingFailure, nestedTooDeeply } from '../nesting-limit.js'
import { SqlRefusedError } from '../sql-refused-error.js'

/**
 * PostgreSQL's own grammar (libpg-query is the server's parser compiled to
 * WebAssembly): the AST every check and rewrite of PostgreSQL SQL starts from.
 */
export async function parsePostgres(sql: string): Promise<unknown> {
  try {
    return await parse(sql)
  } catch (error) {
    const message = (error as Error).message
    if (isNestingFailure(message)) throw nestedTooDeeply()
    throw new SqlRefusedError(`The query could not be parsed: ${message}`)
  }
}
