import { randomBase62 } from '../../domain/ids.js'
import { InputError, NotFoundError } from '../../domain/errors.js'
import type { AuditSink } from '../../domain/audit-sink.js'
import type { Store } from '../../store/store.js'
import { classifyRedirectUri } from './client-policy.js'
import { MCP_SCOPES, OIDC_SCOPES } from './scopes.js'
import { hashId } from './store-adapter.js'

export interface ClientView {
  readonly client_id: string
  readonly client_name: string
  readonly origin: 'dynamic' | 'operator' | 'config' | 'metadata_document'
  readonly type: 'public' | 'confidential'
  readonly redirect_uris: readonly string[]
  readonly created_at: string | null
  readonly first_grant_at: string | null
}

export interface CreateClientInput {
  readonly name: string
  readonly redirectUris: readonly string[]
  readonly confidential: boolean
  readonly scopes?: readonly string[]
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())

/**
 * The operator's view of OAuth clients (`gatehouse clients list|create|delete`):
 * server-wide, since clients register before any organization is chosen.
 * A created confidential client's secret is returned once and stored hashed.
 */
export class OperatorClients {
  readonly #store: Store
  readonly #audit: AuditSink
  readonly #configured: readonly {
    client_id: string
    name: string
    redirect_uris: readonly string[]
    client_secret?: string
  }[]

  constructor(
    store: Store,
    audit: AuditSink,
    configured: readonly {
      client_id: string
      name: string
      redirect_uris: readonly string[]
      client_secret?: string
    }[],
  ) {
    this.#store = store
    this.#audit = audit
    this.#configured = configured
  }

  async list(): Promise<ClientView[]> {
    const stored = (await this.#store.oauth.listClients()).map((row): ClientView => {
      const metadata = JSON.parse(row.metadata) as { client_name?: string; redirect_uris?: string[] }
      return {
        client_id: row.client_id,
        client_name: metadata.client_name ?? row.client_id,
        origin: row.origin,
        type: row.secret_hash === null ? 'public' : 'confidential',
        redirect_uris: metadata.redirect_uris ?? [],
        created_at: iso(row.created_at),
        first_grant_at: iso(row.first_grant_at),
      }
    })
    const configured = this.#configured.map((c): ClientView => ({
      client_id: c.client_id,
      client_name: c.name,
      origin: 'config',
      type: c.client_secret === undefined ? 'public' : 'confidential',
      redirect_uris: c.redirect_uris,
      created_at: null,
      first_grant_at: null,
    }))
    return [...configured, ...stored]
  }

  async create(input: CreateClientInput, now = Date.now()): Promise<{ client: ClientView; clientSecret?: string }> {
    const name = input.name.trim()
    if (name === '' || name.length > 200)
      throw new InputError('A client name of 1 to 200 characters is required', 'name')
    if (input.redirectUris.length === 0) throw new InputError('At least one redirect URI is required', 'redirect_uri')
    const kinds = input.redirectUris.map((uri) => {
      const kind = classifyRedirectUri(uri)
      if (typeof kind === 'object') {
        throw new InputError(
          `Redirect URI ${uri} ${kind.refused}; expected https://…, http:// on loopback, or a private-use scheme`,
          'redirect_uri',
        )
      }
      return kind
    })
    if (input.confidential && kinds.includes('private-use')) {
      throw new InputError('A private-use scheme redirect URI is for public clients only', 'redirect_uri')
    }
    const allowed = new Set<string>([...MCP_SCOPES, ...OIDC_SCOPES])
    for (const scope of input.scopes ?? []) {
      if (!allowed.has(scope))
        throw new InputError(`Unknown scope ${scope}; expected ${[...allowed].join(', ')}`, 'scope')
    }
    const clientId = `oc_${randomBase62(22)}`
    const secret = input.confidential ? randomBase62(48) : undefined
    const metadata = {
      client_id: clientId,
      client_id_issued_at: Math.floor(now / 1000),
      client_name: name,
      redirect_uris: [...input.redirectUris],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: input.confidential ? 'client_secret_basic' : 'none',
      ...(kinds.every((k) => k !== 'https') && { application_type: 'native' }),
      ...(input.scopes !== undefined &&
        input.scopes.length > 0 && { scope: [...input.scopes, ...OIDC_SCOPES].join(' ') }),
    }
    await this.#store.oauth.insertClient({
      client_id: clientId,
      metadata: JSON.stringify(metadata),
      secret_hash: secret === undefined ? null : hashId(secret),
      origin: 'operator',
      registered_from: null,
      fingerprint: null,
      created_at: now,
      first_grant_at: null,
    })
    this.#audit.record({ type: 'client.registered', data: { client_id: clientId, client_name: name, via: 'cli' } })
    const client = (await this.list()).find((c) => c.client_id === clientId)
    if (client === undefined) throw new NotFoundError(`Client ${clientId}`)
    return { client, ...(secret !== undefined && { clientSecret: secret }) }
  }

  /** Deletes a stored client and disconnects every grant of it. Clients from the config file are changed there. */
  async delete(clientId: string): Promise<void> {
    if (this.#configured.some((c) => c.client_id === clientId)) {
      throw new InputError(`Client ${clientId} comes from the config file (auth.clients); remove it there`, 'client_id')
    }
    if (!(await this.#store.oauth.deleteClient(clientId))) throw new NotFoundError(`Client ${clientId}`)
  }
}
