import { fetchProtectedResource } from 'openid-client'
import type { Configuration } from 'openid-client'

/**
 * GETs a JSON document of the provider's API with the user's access token,
 * through openid-client so that its transport rules (https only, unless the
 * provider is on a loopback host) and its timeout apply. A failure says which
 * path answered what, never the token.
 */
export async function getProfileJson(
  config: Configuration,
  accessToken: string,
  url: URL,
  headers: Readonly<Record<string, string>> = {},
): Promise<unknown> {
  const response = await fetchProtectedResource(
    config,
    accessToken,
    url,
    'GET',
    undefined,
    new Headers({ accept: 'application/json', ...headers }),
  )
  if (!response.ok) {
    await response.body?.cancel()
    throw new Error(`GET ${url.pathname} answered HTTP ${response.status}`)
  }
  try {
    return await response.json()
  } catch {
    throw new Error(`GET ${url.pathname} answered something other than JSON`)
  }
}
