// SPEC §9: credential verification stays flat from 10 to 100,000 API keys and tokens.
//
//   npm run build && node bench/credential-scale.js          (BENCH_SAMPLES=2000 by default)
//
// Two stores (SQLite, as the embedded default) are filled: one with 10 API keys and 10 project tokens, one with
// 100,000 of each (keys inserted as the service stores them; tokens signed by the store's ES256 key, as minted).
// Then, in rounds that alternate between the two, random credentials are verified:
//   cold  the verifier itself (cache miss): API key = id lookup + constant-time hash compare + membership;
//         project token = ES256 signature + claims + secret and membership lookups
//   warm  the authenticator with every credential of the store already cached (cache of N entries): the hot path
// and µs per verification are printed per N, with the ratio 100,000 / 10 (the claim: ≈ 1). A cache hit costs about a
// microsecond, and a map of 100,000 entries costs a few more in processor-cache misses whatever the map: such a row
// counts as flat when the difference stays under 5 µs, 5 % of a trivial tools/call's server CPU (≈ 95 µs/request in
// bench/mcp-throughput.js).
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../dist/store/store.js'
import { generateApiKey } from '../dist/auth/api-keys/api-key-format.js'
import { ApiKeyVerifier } from '../dist/auth/api-keys/api-key-verifier.js'
import { Authenticator } from '../dist/auth/authenticator.js'
import { CredentialCache } from '../dist/auth/credential-cache.js'
import { SigningKeys } from '../dist/auth/tokens/signing-keys.js'
import { TOKEN_TYPES } from '../dist/auth/tokens/token-types.js'
import { ProjectTokenVerifier } from '../dist/auth/project-tokens/project-token-verifier.js'
import { ProjectSecretService } from '../dist/auth/project-tokens/project-secret-service.js'
import { ProjectTokenMinter } from '../dist/auth/project-tokens/project-token-minter.js'
import { parsePermissions } from '../dist/domain/permissions.js'
import { randomBase62 } from '../dist/domain/ids.js'

const SIZES = [10, 100_000]
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000)
const ROUNDS = 5
const FLAT_US = 5
const ISSUER = 'http://localhost:8000'
const NO_AUDIT = { record() {} }
const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-scale-'))

async function world(n) {
  const store = Store.open(`sqlite:${join(work, `state-${n}.db`)}`)
  await store.migrate()
  const org = await store.orgs.create(`org${n}`)
  const email = 'bench@example.com'
  const member = await store.users.createMember(org.id, { email, role: 'admin' })
  const project = await store.projects.create(org.id, 'p')
  const read = parsePermissions('read')
  const now = Date.now()
  const keys = []
  const rows = []
  for (let i = 0; i < n; i++) {
    const generated = generateApiKey()
    keys.push(generated.key)
    rows.push({
      id: generated.id,
      org_id: org.id,
      user_id: member.userId,
      name: `k${i}`,
      prefix: generated.prefix,
      secret_hash: generated.secretHash,
      project_ids: JSON.stringify([project.id]),
      domain_access: JSON.stringify({ mode: 'all' }),
      permissions: JSON.stringify({ data: ['read'], domains: ['read'], saved_queries: ['read'] }),
      expires_at: null,
      created_by: 'bench',
      created_at: now,
      last_used_at: now,
      revoked_at: null,
    })
  }
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 1000)
      await trx
        .insertInto('api_keys')
        .values(rows.slice(i, i + 1000))
        .execute()
  })

  const signing = new SigningKeys(store.signingKeys, { issuer: ISSUER, audience: `${ISSUER}/mcp` })
  const { secret } = await new ProjectSecretService(store, NO_AUDIT).create({
    orgId: org.id,
    project: project.id,
    maxPermissions: read.value,
    allowOrgUsers: true,
    createdBy: 'bench',
  })
  // One token minted through the real minter gives the claims; the rest differ by jti, as separately minted ones do.
  const minted = await new ProjectTokenMinter(store, signing, NO_AUDIT).mint(
    { type: 'project', projectId: project.id, projectSecret: secret, orgUserId: email },
    { via: 'bench' },
  )
  const claims = JSON.parse(Buffer.from(minted.accessToken.split('.')[1], 'base64url').toString())
  const tokens = [minted.accessToken]
  for (let i = 1; i < n; i++) {
    const { iss: _iss, aud: _aud, iat: _iat, exp, ...rest } = claims
    tokens.push(
      await signing.sign({ ...rest, jti: randomBase62(22) }, { typ: TOKEN_TYPES.project, expiresAt: exp * 1000 }),
    )
  }
  const lastUsed = { touch() {} }
  const keyVerifier = new ApiKeyVerifier(store, lastUsed, NO_AUDIT)
  const tokenVerifier = new ProjectTokenVerifier(store, signing)
  const cache = new CredentialCache(200_000)
  const authenticator = new Authenticator(cache, keyVerifier, new Map([[TOKEN_TYPES.project, tokenVerifier]]))
  for (const credential of [...keys, ...tokens]) await authenticator.authenticate(`Bearer ${credential}`)
  return { n, store, keys, tokens, keyVerifier, tokenVerifier, authenticator, cache }
}

function pick(list, count) {
  return Array.from({ length: count }, () => list[Math.floor(Math.random() * list.length)])
}

async function timed(credentials, verify) {
  const started = process.hrtime.bigint()
  for (const credential of credentials) await verify(credential)
  return Number(process.hrtime.bigint() - started) / 1e3 / credentials.length
}

const measures = {
  'API key, cold (verifier)': (w) => [pick(w.keys, SAMPLES), (c) => w.keyVerifier.verify(c, Date.now())],
  'API key, warm (cache of N)': (w) => [pick(w.keys, SAMPLES * 10), (c) => w.authenticator.authenticate(`Bearer ${c}`)],
  'project token, cold (verifier)': (w) => [pick(w.tokens, SAMPLES), (c) => w.tokenVerifier.verify(c, Date.now())],
  'project token, warm (cache of N)': (w) => [
    pick(w.tokens, SAMPLES * 10),
    (c) => w.authenticator.authenticate(`Bearer ${c}`),
  ],
}

let exitCode = 0
const worlds = []
try {
  for (const n of SIZES) {
    const started = Date.now()
    worlds.push(await world(n))
    console.error(
      `filled the store with ${n.toLocaleString('en-US')} keys and ${n.toLocaleString('en-US')} tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
  }
  const results = {}
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, measure] of Object.entries(measures)) {
      for (const w of worlds) {
        const [credentials, verify] = measure(w)
        const us = await timed(credentials, verify)
        if (round === 0) continue // warm-up round
        ;((results[name] ??= {})[w.n] ??= []).push(us)
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  console.log(
    `\n${SAMPLES} cold and ${SAMPLES * 10} warm verifications per round, ${ROUNDS} rounds, medians of the rounds\n`,
  )
  console.log(
    `| verification | µs at ${SIZES[0]} | µs at ${SIZES[1].toLocaleString('en-US')} | ratio | difference | ` +
      `flat (≤ 1.5× or < ${FLAT_US} µs) |`,
  )
  console.log('|---|---:|---:|---:|---:|---|')
  const rows = []
  for (const [name, bySize] of Object.entries(results)) {
    const small = median(bySize[SIZES[0]])
    const large = median(bySize[SIZES[1]])
    const ratio = large / small
    const flat = ratio <= 1.5 || large - small < FLAT_US
    rows.push({ name, small, large, ratio, flat })
    console.log(
      `| ${name} | ${small.toFixed(1)} | ${large.toFixed(1)} | ${ratio.toFixed(2)}× | ` +
        `${(large - small).toFixed(1)} µs | ${flat ? 'PASS' : 'MISS'} |`,
    )
  }
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
  writeFileSync(
    join(import.meta.dirname, 'results', 'credential-scale.json'),
    JSON.stringify({ at: new Date().toISOString(), samples: SAMPLES, rounds: ROUNDS, rows }, null, 2),
  )
} catch (error) {
  console.error(`broken run: ${error.stack ?? error}`)
  exitCode = 1
} finally {
  for (const w of worlds) await w.store.close()
  rmSync(work, { recursive: true, force: true })
}
process.exit(exitCode)
