import { z } from 'zod'
import { InputError } from '../../../domain/errors.js'

/**
 * The metadata a URL client publishes (RFC 7591 §2 names). A metadata-document client has no registration step in
 * which a secret could be issued, so only `none` and `private_key_jwt` can authenticate it
 * (draft-ietf-oauth-client-id-metadata-document §4). Unknown members are kept, as RFC 7591 asks, and ignored.
 */
export const clientMetadataDocument = z
  .looseObject({
    client_id: z.string(),
    client_name: z.string().optional(),
    redirect_uris: z.array(z.url()).min(1),
    grant_types: z.array(z.string()).optional(),
    response_types: z.array(z.string()).optional(),
    token_endpoint_auth_method: z
      .enum(['none', 'private_key_jwt'], { error: 'must be "none" or "private_key_jwt"' })
      .optional(),
    logo_uri: z.url().optional(),
    client_uri: z.url().optional(),
    scope: z.string().optional(),
    jwks_uri: z.url().optional(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
    client_secret: z.never({ error: 'must not be present' }).optional(),
  })
  .refine((doc) => doc.jwks === undefined || doc.jwks_uri === undefined, {
    error: 'jwks and jwks_uri must not both be present',
  })

export type ClientMetadataDocument = z.infer<typeof clientMetadataDocument>

/**
 * Validates a parsed document for `clientId`. Messages name the rule and the member, never a value: the document
 * is written by whoever controls the URL.
 */
export function parseClientMetadataDocument(json: unknown, clientId: string): ClientMetadataDocument {
  const refuse = (rule: string) => new InputError(`client metadata document ${rule}`, 'client_id')
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw refuse('is not a JSON object')
  // Compared before anything else: a document for another client is not this client's, whatever else it says.
  if ((json as { client_id?: unknown }).client_id !== clientId) throw refuse('client_id does not match the URL')
  const result = clientMetadataDocument.safeParse(json)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `
    throw refuse(`is invalid: ${where}${issue?.message ?? 'invalid'}`)
  }
  return result.data
}
