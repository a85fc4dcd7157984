import { describe, expect, it } from 'vitest'
import { UPSTREAM_LOGIN_FAILURES, UpstreamLoginError } from './upstream-login-error.js'

describe('UpstreamLoginError', () => {
  it.each(UPSTREAM_LOGIN_FAILURES.filter((r) => r !== 'account_not_linked'))(
    'names the provider and what went wrong for %s',
    (reason) => {
      const error = new UpstreamLoginError('corp', reason, { detail: 'code=abc123 token=xyz' })
      expect(error.code).toBe('AUTHZ_DENIED')
      expect(error.reason).toBe(reason)
      expect(error.message).toMatch(/^Sign-in with corp failed: \S/)
      expect(error.message).not.toContain('abc123')
    },
  )

  it('says what SPEC §4.1 says when no account is linked', () => {
    expect(new UpstreamLoginError('github', 'account_not_linked').message).toBe(
      'No Gatehouse account is linked to this github identity',
    )
  })

  it('repeats an OAuth error code of the provider, but nothing the provider wrote', () => {
    expect(new UpstreamLoginError('corp', 'upstream_error', { upstreamError: 'access_denied' }).message).toBe(
      'Sign-in with corp failed: the identity provider answered access_denied',
    )
    const phishing = new UpstreamLoginError('corp', 'upstream_error', { upstreamError: 'Call +1 555 0100 to unlock' })
    expect(phishing.message).toBe('Sign-in with corp failed: the identity provider refused the sign-in')
  })

  it('does not echo a provider id that could not be a configured one', () => {
    const error = new UpstreamLoginError('<script>alert(1)</script>', 'provider_unknown')
    expect(error.message).toBe('Sign-in with this provider failed: no identity provider has this id')
  })
})
