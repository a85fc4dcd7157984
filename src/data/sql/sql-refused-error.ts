import { GatehouseError } from '../../domain/errors.js'

/** Dev-mode SQL refused, with what and why (SPEC §5). */
export class SqlRefusedError extends GatehouseError<'SQL_REFUSED'> {
  override readonly name = 'SqlRefusedError'
  constructor(message: string, options: { detail?: string } = {}) {
    super('SQL_REFUSED', message, options)
  }
}
