import type { ProviderConfig } from '../../config/config-schema.js'
import type { Store } from '../../store/store.js'
import { GatehouseError } from '../../domain/errors.js'
import type { ExternalTokenVault } from './external-token-vault.js'
import type { UpstreamIdentity } from './upstream-identity.js'
import { UpstreamLoginError } from './upstream-login-error.js'

export interface LinkIdentityDeps {
  readonly store: Store
  readonly tokens: ExternalTokenVault
}

/** The Gatehouse user an upstream sign-in resolved to. */
export interface LinkedUser {
  readonly userId: string
  /** True when this sign-in created the user (and its one membership, in `orgId`). */
  readonly created: boolean
  readonly orgId?: string
}

type Provision = NonNullable<ProviderConfig['provision']>

function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase()
}

/**
 * Whether a first sign-in may create an account (SPEC §3.1 `provision`): its
 * email domain or one of its groups is allowed. Domains match exactly;
 * `example.com` does not admit `sub.example.com`. The email must also be
 * verified, which the caller checks next.
 */
function mayProvision(provision: Provision, identity: UpstreamIdentity): boolean {
  const domainAllowed =
    identity.email !== undefined && (provision.allowed_domains ?? []).includes(emailDomain(identity.email))
  const groupAllowed = identity.groups.some((group) => (provision.allowed_groups ?? []).includes(group))
  return domainAllowed || groupAllowed
}

/**
 * Resolves an upstream identity to a Gatehouse user (SPEC §4.1): by (provider,
 * subject) only, never by email. A first sign-in is refused unless the
 * provider provisions, and then creates a new user with one membership in the
 * provisioning org, never reusing an account that holds the same email (that
 * link is an administrator's decision). The upstream tokens are sealed and
 * stored, replacing the previous ones.
 */
export async function linkIdentity(
  deps: LinkIdentityDeps,
  provider: ProviderConfig,
  identity: UpstreamIdentity,
  now = Date.now(),
): Promise<LinkedUser> {
  if (identity.provider !== provider.id) {
    throw new GatehouseError('INTERNAL', 'An upstream identity was linked with the config of another provider', {
      detail: `identity of ${identity.provider} passed with provider ${provider.id}`,
    })
  }
  const linked = await deps.store.userIdentities.find(identity.provider, identity.subject)
  if (linked !== undefined) return signIn(deps, identity, linked.user_id, now)

  const provision = provider.provision
  if (provision === undefined) throw new UpstreamLoginError(provider.id, 'account_not_linked')
  if (!mayProvision(provision, identity)) {
    throw new UpstreamLoginError(provider.id, 'signup_not_allowed', {
      detail: `email domain ${identity.email === undefined ? '(none)' : emailDomain(identity.email)}, groups [${identity.groups.join(', ')}]`,
    })
  }
  // An allowed domain counts only for an address the provider verified. The new user's email also
  // becomes a global account identifier (the CLI's --user), so a sign-up admitted by group needs one too.
  if (identity.email === undefined || !identity.emailVerified) {
    throw new UpstreamLoginError(provider.id, 'email_unverified')
  }
  const org = await deps.store.orgs.findByRef(provision.org)
  if (org === undefined || org.status !== 'active') {
    throw new UpstreamLoginError(provider.id, 'signup_org_missing', { detail: `provision.org ${provision.org}` })
  }
  const outcome = await deps.store.userIdentities.provision(
    {
      provider: identity.provider,
      subject: identity.subject,
      email: identity.email,
      ...(identity.name !== undefined && { name: identity.name }),
      orgId: org.id,
      // The type already says so; a role from an identity provider is still never trusted to be owner.
      role: identity.role === 'admin' ? 'admin' : 'member',
      groups: identity.groups,
      attributes: identity.attributes,
    },
    now,
  )
  if (outcome.outcome === 'email_taken') throw new UpstreamLoginError(provider.id, 'email_taken')
  if (outcome.outcome === 'already_linked') return signIn(deps, identity, outcome.userId, now)
  await deps.tokens.save(outcome.userId, identity.provider, identity.tokens, now)
  return { userId: outcome.userId, created: true, orgId: org.id }
}

async function signIn(
  deps: LinkIdentityDeps,
  identity: UpstreamIdentity,
  userId: string,
  now: number,
): Promise<LinkedUser> {
  const user = await deps.store.users.findById(userId)
  if (user === undefined || user.status !== 'active') {
    throw new UpstreamLoginError(identity.provider, 'account_inactive', {
      detail: `user ${userId} is ${user?.status ?? 'missing'}`,
    })
  }
  await deps.store.userIdentities.recordLogin(identity.provider, identity.subject, identity.email ?? null, now)
  await deps.tokens.save(userId, identity.provider, identity.tokens, now)
  return { userId, created: false }
}
