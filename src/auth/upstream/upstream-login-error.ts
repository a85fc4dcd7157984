import { GatehouseError } from '../../domain/errors.js'
import type { GatehouseErrorOptions } from '../../domain/errors.js'

/** Why an upstream sign-in was refused: stable, for tests, audit (`auth.failed` reason) and the login page. */
export const UPSTREAM_LOGIN_FAILURES = [
  'provider_unknown',
  'provider_unavailable',
  'state_mismatch',
  'upstream_error',
  'code_missing',
  'token_request_failed',
  'id_token_invalid',
  'profile_request_failed',
  'subject_missing',
  'account_not_linked',
  'account_inactive',
  'email_unverified',
  'email_taken',
  'signup_not_allowed',
  'signup_org_missing',
  'account_no_organization',
  'interaction_expired',
] as const

export type UpstreamLoginFailure = (typeof UPSTREAM_LOGIN_FAILURES)[number]

const WHAT_WENT_WRONG: Readonly<Record<UpstreamLoginFailure, string>> = {
  provider_unknown: 'no identity provider has this id',
  provider_unavailable: 'the identity provider could not be reached or its configuration could not be read',
  state_mismatch: 'the response does not belong to this sign-in (state mismatch); start the sign-in again',
  upstream_error: 'the identity provider refused the sign-in',
  code_missing: 'the identity provider returned no authorization code',
  token_request_failed: 'the authorization code could not be exchanged for tokens',
  id_token_invalid: 'the ID token did not verify',
  profile_request_failed: 'the user profile could not be read',
  subject_missing: 'the identity provider did not say who signed in (no subject)',
  account_not_linked: 'no Gatehouse account is linked to this identity',
  account_inactive: 'the Gatehouse account linked to this identity is inactive or deleted',
  email_unverified: 'the identity has no verified email address, which a new account needs',
  email_taken: 'a Gatehouse account with this email already exists; an administrator must link this identity to it',
  signup_not_allowed: 'this identity may not sign up (its email domain and groups are not allowed)',
  signup_org_missing: 'the organization new accounts join does not exist or is inactive',
  account_no_organization: 'the Gatehouse account linked to this identity is not an active member of any organization',
  interaction_expired:
    'the sign-in page has expired or was opened in another browser; return to the application and connect again',
}

function publicMessage(provider: string, reason: UpstreamLoginFailure, upstreamError: string | undefined): string {
  // An unknown provider id comes from the request path: it is named only when it has the shape of a configured one.
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(provider)) provider = 'this provider'
  // The one message SPEC §4.1 fixes word for word.
  if (reason === 'account_not_linked') return `No Gatehouse account is linked to this ${provider} identity`
  // An OAuth error code is a token of [\x20-\x7E] without quotes (RFC 6749 §4.1.2.1); anything else is not echoed.
  if (reason === 'upstream_error' && upstreamError !== undefined && /^[\w.-]{1,64}$/.test(upstreamError)) {
    return `Sign-in with ${provider} failed: the identity provider answered ${upstreamError}`
  }
  return `Sign-in with ${provider} failed: ${WHAT_WENT_WRONG[reason]}`
}

/**
 * Every refused upstream sign-in. The message names the provider and what went
 * wrong and may be shown to the user; it never holds a code, a token or text
 * the identity provider chose (an `error_description` goes to `detail` only).
 */
export class UpstreamLoginError extends GatehouseError<'AUTHZ_DENIED'> {
  override readonly name = 'UpstreamLoginError'
  readonly provider: string
  readonly reason: UpstreamLoginFailure

  constructor(
    provider: string,
    reason: UpstreamLoginFailure,
    options: GatehouseErrorOptions & { readonly upstreamError?: string } = {},
  ) {
    super('AUTHZ_DENIED', publicMessage(provider, reason, options.upstreamError), options)
    this.provider = provider
    this.reason = reason
  }
}
