import type { Configuration } from 'openid-client'
import { getProfileJson } from './profile-request.js'
import { isRecord, optionalText } from './upstream-profile.js'
import type { UpstreamProfile } from './upstream-profile.js'

/**
 * An Atlassian profile from the user identity API (`GET https://api.atlassian.com/me`,
 * scope `read:me`): `account_id` is the subject; the email counts as verified
 * only when the response says `email_verified: true`.
 */
export async function readAtlassianProfile(
  config: Configuration,
  accessToken: string,
  meUrl: string,
): Promise<UpstreamProfile> {
  const me = await getProfileJson(config, accessToken, new URL(meUrl))
  if (!isRecord(me)) throw new Error('GET /me answered something other than a user object')
  return {
    subject: optionalText(me.account_id),
    email: optionalText(me.email),
    emailVerified: me.email_verified === true,
    name: optionalText(me.name),
    claims: me,
  }
}
