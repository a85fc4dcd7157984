import { hash } from 'node:crypto'
import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { OAuthRepository } from '../../store/repositories/oauth-repository.js'
import { oauthRequestContext } from './request-context.js'

/** Ids are hashed before they reach the store: a copy of the store holds no usable code, token or cookie. */
export function hashId(id: string): string {
  return hash('sha256', id, 'base64url')
}

/**
 * oidc-provider's storage on Gatehouse's store (SQLite or PostgreSQL), one
 * instance per model. Payloads are stored without their id (`jti`), which is
 * given back from the lookup key. Clients live in their own table (secrets
 * hashed); refresh tokens keep one chain per grant (SPEC §4.1).
 */
export function storeAdapter(repository: OAuthRepository): new (model: string) => Adapter {
  return class StoreAdapter implements Adapter {
    readonly #model: string

    constructor(model: string) {
      this.#model = model
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const now = Date.now()
      if (this.#model === 'Client') return upsertClient(repository, id, payload, now)
      const idHash = hashId(id)
      const { jti: _jti, ...rest } = payload
      await repository.upsertObject({
        model: this.#model,
        id_hash: idHash,
        // A grant is its own grant: revoking it (disconnection, reuse) deletes it with its tokens.
        grant_id: this.#model === 'Grant' ? id : (payload.grantId ?? null),
        uid_hash: payload.uid === undefined ? null : hashId(payload.uid),
        payload: JSON.stringify(rest),
        expires_at: expiresIn > 0 ? now + expiresIn * 1000 : null,
        consumed_at: null,
      })
      if (this.#model === 'RefreshToken' && payload.grantId !== undefined) {
        await extendChain(repository, payload.grantId, idHash)
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'Client') return findClient(repository, id)
      const idHash = hashId(id)
      const row = await repository.findObject(this.#model, idHash)
      if (row === undefined) return undefined
      const now = Date.now()
      if (row.expires_at !== null && Number(row.expires_at) <= now) return undefined
      const payload = { ...(JSON.parse(row.payload) as AdapterPayload), jti: id }
      if (row.consumed_at === null) return payload
      if (this.#model === 'RefreshToken' && row.grant_id !== null) {
        if (await rewindToPrevious(repository, row.grant_id, idHash)) return payload
        setRevokeReason('refresh_token_reuse')
      } else if (this.#model === 'AuthorizationCode') {
        setRevokeReason('code_replay')
      }
      return { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) }
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const row = await repository.findObjectByUid(this.#model, hashId(uid))
      if (row === undefined || (row.expires_at !== null && Number(row.expires_at) <= Date.now())) return undefined
      // The id is not recoverable from the row; oidc-provider needs it only for sessions, which it reads by cookie.
      return JSON.parse(row.payload) as AdapterPayload
    }

    async findByUserCode(): Promise<undefined> {
      // The device flow is not enabled.
      return undefined
    }

    async consume(id: string): Promise<void> {
      await repository.consumeObject(this.#model, hashId(id), Date.now())
    }

    async destroy(id: string): Promise<void> {
      if (this.#model === 'Client') {
        await repository.deleteClient(id)
        return
      }
      await repository.destroyObject(this.#model, hashId(id))
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const reason = oauthRequestContext.getStore()?.revokeReason ?? 'revoked'
      await repository.revokeGrant(grantId, reason)
    }
  }
}

function setRevokeReason(reason: 'refresh_token_reuse' | 'code_replay'): void {
  const context = oauthRequestContext.getStore()
  if (context !== undefined) context.revokeReason = reason
}

/** A new refresh token of a grant becomes current; the one it replaced stays as the previous one. */
async function extendChain(repository: OAuthRepository, grantId: string, idHash: string): Promise<void> {
  const chain = await repository.chain(grantId)
  if (chain?.current_hash === idHash) return
  await repository.setChain(grantId, idHash, chain?.current_hash ?? null)
}

/**
 * A used refresh token presented again. Allowed once more only when it is the
 * grant's previous token and its successor has never been used (a client that
 * crashed before saving the successor): the successor is dropped, never a
 * second branch. Anything else is reuse, and revokes the grant.
 */
async function rewindToPrevious(repository: OAuthRepository, grantId: string, idHash: string): Promise<boolean> {
  const chain = await repository.chain(grantId)
  if (chain === undefined || chain.previous_hash !== idHash) return false
  return repository.rewindChain(grantId, idHash, chain.current_hash)
}

async function findClient(repository: OAuthRepository, clientId: string): Promise<AdapterPayload | undefined> {
  const row = await repository.findClient(clientId)
  if (row === undefined) return undefined
  const metadata = JSON.parse(row.metadata) as AdapterPayload
  // The provider compares a presented secret with this hash (see `hashedClientSecrets`).
  return row.secret_hash === null ? metadata : { ...metadata, client_secret: row.secret_hash }
}

async function upsertClient(
  repository: OAuthRepository,
  clientId: string,
  payload: AdapterPayload,
  now: number,
): Promise<void> {
  const { client_secret: secret, ...metadata } = payload
  const context = oauthRequestContext.getStore()
  const existing = await repository.findClient(clientId)
  await repository.insertClient({
    client_id: clientId,
    metadata: JSON.stringify(metadata),
    secret_hash: typeof secret === 'string' ? (existing?.secret_hash === secret ? secret : hashId(secret)) : null,
    origin: existing?.origin ?? 'dynamic',
    registered_from: existing?.registered_from ?? context?.ip ?? null,
    fingerprint: existing?.fingerprint ?? context?.registrationFingerprint ?? null,
    created_at: existing === undefined ? now : Number(existing.created_at),
    first_grant_at: existing?.first_grant_at ?? null,
  })
}
