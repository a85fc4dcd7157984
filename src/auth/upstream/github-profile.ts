import type { Configuration } from 'openid-client'
import { getProfileJson } from './profile-request.js'
import { isRecord, optionalText } from './upstream-profile.js'
import type { UpstreamProfile } from './upstream-profile.js'

// https://docs.github.com/en/rest/about-the-rest-api/api-versions
const GITHUB_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }

interface GithubEmail {
  readonly email: string
  readonly primary: boolean
  readonly verified: boolean
}

function isGithubEmail(value: unknown): value is GithubEmail {
  return (
    isRecord(value) &&
    typeof value.email === 'string' &&
    typeof value.primary === 'boolean' &&
    typeof value.verified === 'boolean'
  )
}

/**
 * A GitHub profile: `GET /user` says who (the numeric `id` is the subject: a
 * login can be renamed and then taken by someone else), `GET /user/emails`
 * which address is primary and whether GitHub verified it. Without the
 * `user:email` scope the emails call fails and the public profile email is
 * used, unverified.
 */
export async function readGithubProfile(
  config: Configuration,
  accessToken: string,
  apiUrl: string,
): Promise<UpstreamProfile> {
  const user = await getProfileJson(config, accessToken, new URL(`${apiUrl}/user`), GITHUB_HEADERS)
  if (!isRecord(user)) throw new Error('GET /user answered something other than a user object')
  const id = user.id
  const subject = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : undefined
  let email = optionalText(user.email)
  let emailVerified = false
  const emails = await getProfileJson(config, accessToken, new URL(`${apiUrl}/user/emails`), GITHUB_HEADERS).catch(
    () => undefined,
  )
  const primary = Array.isArray(emails) ? emails.filter(isGithubEmail).find((e) => e.primary) : undefined
  if (primary !== undefined) {
    email = primary.email
    emailVerified = primary.verified
  }
  return { subject, email, emailVerified, name: optionalText(user.name) ?? optionalText(user.login), claims: user }
}
