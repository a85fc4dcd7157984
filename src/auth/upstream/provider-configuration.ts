import {
  ClientSecretBasic,
  ClientSecretPost,
  Configuration,
  None,
  allowInsecureRequests,
  discovery,
} from 'openid-client'
import type { ClientAuth, ServerMetadata } from 'openid-client'
import { isUsableEndpoint } from './provider-preset.js'
import type { ProviderPreset } from './provider-preset.js'

/** The client Gatehouse is at one provider. */
export interface UpstreamClient {
  readonly clientId: string
  readonly clientSecret: string | undefined
}

/** Seconds each request to a provider may take (openid-client's default is 30). */
const TIMEOUT_SECONDS = 10

/**
 * OIDC defaults to `client_secret_basic` when a provider lists no methods
 * (Discovery §3); GitHub and Atlassian take the secret in the form body.
 */
function clientAuth(preset: ProviderPreset, client: UpstreamClient, metadata: ServerMetadata): ClientAuth {
  if (client.clientSecret === undefined) return None()
  const methods = metadata.token_endpoint_auth_methods_supported
  const basic = preset.protocol === 'oidc' && (methods === undefined || methods.includes('client_secret_basic'))
  return basic ? ClientSecretBasic(client.clientSecret) : ClientSecretPost(client.clientSecret)
}

function overrides(preset: ProviderPreset): Partial<ServerMetadata> {
  return {
    ...(preset.authorizationEndpoint !== undefined && { authorization_endpoint: preset.authorizationEndpoint }),
    ...(preset.tokenEndpoint !== undefined && { token_endpoint: preset.tokenEndpoint }),
    ...(preset.userinfoEndpoint !== undefined && { userinfo_endpoint: preset.userinfoEndpoint }),
  }
}

async function serverMetadata(preset: ProviderPreset, client: UpstreamClient): Promise<ServerMetadata> {
  if (preset.protocol === 'oauth2') return { issuer: preset.issuer, ...overrides(preset) }
  const discovered = await discovery(new URL(preset.issuer), client.clientId, undefined, undefined, {
    execute: preset.allowsHttp ? [allowInsecureRequests] : [],
    timeout: TIMEOUT_SECONDS,
  })
  // Spreading drops openid-client's helper methods, which are not enumerable.
  const metadata: ServerMetadata = { ...discovered.serverMetadata(), ...overrides(preset) }
  // An http issuer on a loopback host lifts openid-client's https rule for every endpoint; the
  // discovery document must not use that to send codes or tokens in clear text off the machine.
  for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const) {
    const value = metadata[key]
    if (value !== undefined && !isUsableEndpoint(value)) {
      throw new Error(`the discovery document's ${key} is plain http on a host that is not loopback`)
    }
  }
  return metadata
}

/** The openid-client configuration of one provider: discovered (OIDC) or built from the preset (OAuth 2.0). */
export async function loadConfiguration(preset: ProviderPreset, client: UpstreamClient): Promise<Configuration> {
  const metadata = await serverMetadata(preset, client)
  const config = new Configuration(
    metadata,
    client.clientId,
    client.clientSecret === undefined ? undefined : { client_secret: client.clientSecret },
    clientAuth(preset, client, metadata),
  )
  config.timeout = TIMEOUT_SECONDS
  // Only loopback URLs may be http (checked when the preset was built), so this lifts nothing elsewhere.
  if (preset.allowsHttp) allowInsecureRequests(config)
  return config
}
