import { GatehouseError } from '../domain/errors.js'

/**
 * A query that passed every check but failed in the engine. The public message
 * is generic by design (SPEC §5): an engine's own message can quote a value
 * ("could not convert 'EMEA' to INTEGER"), and that value may sit in a row the
 * caller is not allowed to see. The engine's message goes to `detail` (logs).
 */
export class QueryFailedError extends GatehouseError<'QUERY_FAILED'> {
  override readonly name = 'QueryFailedError'
  constructor(message: string, options: { detail?: string; cause?: unknown } = {}) {
    super('QUERY_FAILED', message, options)
  }
}

export const QUERY_STOPPED = 'The query was stopped: it ran past the statement timeout or the request was cancelled'
export const QUERY_DATA_ERROR =
  'The query failed while running: a value could not be converted or computed (check casts, arithmetic and date formats)'
export const QUERY_ENGINE_ERROR = 'The query failed while running in the engine'
