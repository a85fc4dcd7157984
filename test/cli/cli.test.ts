import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workspace } from '../support/cli-workspace.js'
import type { Workspace } from '../support/cli-workspace.js'
import { Store } from '../../src/store/store.js'
import { MIGRATION_NAMES } from '../../src/store/migrations.js'
import { verifyPassword } from '../../src/auth/passwords/password-hash.js'

const KEY_SHAPE = /^gk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const DAY = 86_400_000

interface OrgJson {
  id: string
  name: string
  status: string
  created_at: string
}
interface MemberJson {
  user_id: string
  email: string
  name: string | null
  role: string
  groups: string[]
  status: string
  org_id: string
  created_at: string
}
interface ProjectJson {
  id: string
  name: string
  org_id: string
  created_at: string
}
interface KeyJson {
  id: string
  prefix: string
  name: string
  org_id: string
  user_id: string
  project_ids: string[]
  domain_access: unknown
  permissions: unknown
  status: string
  expires_at: string | null
  created_by: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
  key?: string
}
interface LogJson {
  type: string
  org_id: string | null
  key_prefix: string | null
  chain_id: string
  chain_seq: number
}

describe('gatehouse CLI', () => {
  let ws: Workspace
  let counter = 0
  const unique = (base: string) => `${base}-${(counter += 1)}`

  beforeAll(() => {
    ws = workspace()
  })

  /** `keys create --json` for the member's default `ci` key on the `analytics` project. */
  function createCiKey(org: OrgJson, member: MemberJson): Promise<KeyJson> {
    return ws.json<KeyJson>([
      'keys',
      'create',
      '--org',
      org.name,
      '--user',
      member.email,
      '--name',
      'ci',
      '--project',
      'analytics',
    ])
  }

  /** An org with an owner, a member and a project, made through the CLI. */
  async function orgSetup() {
    const org = await ws.json<OrgJson>(['orgs', 'create', unique('acme')])
    const owner = await ws.json<MemberJson>([
      'users',
      'create',
      '--org',
      org.name,
      '--email',
      `owner${counter}@example.com`,
      '--role',
      'owner',
    ])
    const member = await ws.json<MemberJson>([
      'users',
      'create',
      '--org',
      org.name,
      '--email',
      `member${counter}@example.com`,
    ])
    const project = await ws.json<ProjectJson>(['projects', 'create', '--org', org.name, 'analytics'])
    return { org, owner, member, project }
  }

  it('migrates a new store and reports nothing to do the second time', async () => {
    const fresh = workspace()
    expect(await fresh.cli(['migrate', '--json'])).toEqual({
      code: 0,
      out: JSON.stringify({ applied: MIGRATION_NAMES }),
      err: '',
    })
    expect(await fresh.cli(['migrate', '--json'])).toEqual({ code: 0, out: '{"applied":[]}', err: '' })
    expect(await fresh.cli(['migrate'])).toEqual({ code: 0, out: 'The store schema is up to date', err: '' })
  })

  it('creates and lists organizations as JSON', async () => {
    const name = unique('acme')
    const org = await ws.json<OrgJson>(['orgs', 'create', name])
    expect(org).toEqual({
      id: expect.stringMatching(/^org_[0-9A-Za-z]{16}$/),
      name,
      status: 'active',
      created_at: expect.stringMatching(ISO),
    })
    expect(await ws.json<OrgJson[]>(['orgs', 'list'])).toContainEqual(org)
  })

  it('says what it created in words without --json', async () => {
    const name = unique('words')
    const result = await ws.cli(['orgs', 'create', name])
    expect(result.code).toBe(0)
    expect(result.out).toMatch(new RegExp(`^Created organization ${name} \\(org_[0-9A-Za-z]{16}\\)$`))
  })

  it('creates users with a role and repeated groups, and lists them with --org by name or by id', async () => {
    const org = await ws.json<OrgJson>(['orgs', 'create', unique('people')])
    const alice = await ws.json<MemberJson>([
      'users',
      'create',
      '--org',
      org.name,
      '--email',
      'Alice@Example.com',
      '--name',
      'Alice',
      '--role',
      'admin',
      '--group',
      'sales',
      '--group',
      'emea',
      '--group',
      'sales',
    ])
    expect(alice).toEqual({
      user_id: expect.stringMatching(/^usr_/),
      email: 'alice@example.com',
      name: 'Alice',
      role: 'admin',
      groups: ['sales', 'emea'],
      attributes: {},
      status: 'active',
      org_id: org.id,
      created_at: expect.stringMatching(ISO),
    })
    const bob = await ws.json<MemberJson>(['users', 'create', '--org', org.id, '--email', 'bob@example.com'])
    expect(bob).toMatchObject({ role: 'member', groups: [], name: null, org_id: org.id })

    expect(await ws.json<MemberJson[]>(['users', 'list', '--org', org.name])).toEqual([alice, bob])
    expect(await ws.json<MemberJson[]>(['users', 'list', '--org', org.id])).toEqual([alice, bob])
  })

  it('reads a password from standard input and stores only its scrypt hash', async () => {
    const org = await ws.json<OrgJson>(['orgs', 'create', unique('login')])
    const password = 'correct horse battery staple'
    const result = await ws.cli(
      ['users', 'create', '--org', org.name, '--email', 'pw@example.com', '--password-stdin'],
      `${password}\n`,
    )
    expect(result).toMatchObject({ code: 0, err: '' })
    await using store = Store.open(ws.url)
    const user = await store.users.findByEmail('pw@example.com')
    expect(user?.password_hash).toMatch(/^scrypt\$/)
    expect(user?.password_hash).not.toContain(password)
    expect(await verifyPassword(password, user?.password_hash ?? '')).toBe(true)
  })

  it('creates and lists projects with --org by name or by id', async () => {
    const org = await ws.json<OrgJson>(['orgs', 'create', unique('proj')])
    const project = await ws.json<ProjectJson>(['projects', 'create', '--org', org.id, 'analytics'])
    expect(project).toEqual({
      id: expect.stringMatching(/^prj_/),
      name: 'analytics',
      org_id: org.id,
      created_at: expect.stringMatching(ISO),
    })
    expect(await ws.json<ProjectJson[]>(['projects', 'list', '--org', org.name])).toEqual([project])
    expect(await ws.json<ProjectJson[]>(['projects', 'list', '--org', org.id])).toEqual([project])
  })

  it('prints a new key once: keys create shows it, keys list never does', async () => {
    const { org, member, project } = await orgSetup()
    const created = await createCiKey(org, member)
    expect(created.key).toMatch(KEY_SHAPE)
    expect(created).toMatchObject({
      prefix: `gk_${created.id}`,
      name: 'ci',
      org_id: org.id,
      user_id: member.user_id,
      project_ids: [project.id],
      domain_access: { mode: 'all' },
      permissions: { data: ['read'], domains: ['read'], saved_queries: ['read'] },
      status: 'active',
      created_by: 'cli',
      last_used_at: null,
      revoked_at: null,
    })
    expect(created.key?.startsWith(`${created.prefix}_`)).toBe(true)
    // Default expiry: 90 days.
    expect(Date.parse(created.expires_at ?? '') - Date.parse(created.created_at)).toBe(90 * DAY)

    const secret = (created.key ?? '').slice(16)
    const listedJson = await ws.cli(['keys', 'list', '--org', org.id, '--json'])
    const listedText = await ws.cli(['keys', 'list', '--org', org.name])
    expect(JSON.parse(listedJson.out)).toEqual([{ ...created, key: undefined }].map(({ key: _key, ...rest }) => rest))
    for (const output of [listedJson.out, listedText.out]) {
      expect(output).toContain(created.prefix)
      expect(output).not.toContain(secret)
    }
  })

  it('says in words that the key is shown only once', async () => {
    const { org, member } = await orgSetup()
    const result = await ws.cli([
      'keys',
      'create',
      '--org',
      org.name,
      '--user',
      member.email,
      '--name',
      'ci',
      '--project',
      'analytics',
    ])
    expect(result.code).toBe(0)
    const key = result.out
      .split('\n')
      .map((l) => l.trim())
      .find((l) => KEY_SHAPE.test(l))
    expect(key).toBeDefined()
    expect(result.out).toContain('This is the only time the key is shown. Store it now.')
  })

  it('creates a granular key narrowed to domains that never expires', async () => {
    const { org, member } = await orgSetup()
    const created = await ws.json<KeyJson>([
      'keys',
      'create',
      '--org',
      org.id,
      '--user',
      member.email,
      '--name',
      'dev',
      '--project',
      'analytics',
      '--domain',
      'sales',
      '--domain',
      'finance',
      '--permissions',
      'data:read,sql:read,saved_queries:read+write+delete',
      '--expires',
      'never',
    ])
    expect(created).toMatchObject({
      domain_access: { mode: 'include', domains: ['sales', 'finance'] },
      permissions: { data: ['read'], sql: ['read'], saved_queries: ['read', 'write', 'delete'] },
      expires_at: null,
    })
  })

  it('creates an org admin key for an owner', async () => {
    const { org, owner } = await orgSetup()
    const created = await ws.json<KeyJson>([
      'keys',
      'create',
      '--org',
      org.name,
      '--user',
      owner.email,
      '--name',
      'ops',
      '--admin',
    ])
    expect(created).toMatchObject({ permissions: { admin: true }, project_ids: [] })
  })

  it('revokes a key for good: it stays listed with status revoked', async () => {
    const { org, member } = await orgSetup()
    const created = await createCiKey(org, member)
    const revoked = await ws.json<KeyJson>(['keys', 'revoke', created.prefix])
    expect(revoked).toMatchObject({ id: created.id, status: 'revoked', revoked_at: expect.stringMatching(ISO) })
    const listed = await ws.json<KeyJson[]>(['keys', 'list', '--org', org.name])
    expect(listed).toEqual([revoked])

    const text = await ws.cli(['keys', 'revoke', created.id])
    expect(text).toEqual({ code: 0, out: `Revoked API key ${created.prefix} "ci"`, err: '' })
    expect((await ws.json<KeyJson[]>(['keys', 'list', '--org', org.name]))[0]?.revoked_at).toBe(revoked.revoked_at)
  })

  it('shows key.created and key.revoked in the audit log', async () => {
    const { org, member } = await orgSetup()
    const created = await createCiKey(org, member)
    await ws.json<KeyJson>(['keys', 'revoke', created.id])
    const log = await ws.json<LogJson[]>(['log', '--org', org.name])
    expect(log.map((e) => [e.type, e.key_prefix, e.org_id])).toEqual([
      ['key.revoked', created.prefix, org.id],
      ['key.created', created.prefix, org.id],
    ])
  })

  it('prints the audit log as CSV with a header line', async () => {
    const { org, member } = await orgSetup()
    await createCiKey(org, member)
    const result = await ws.cli(['log', '--org', org.name, '--csv'])
    expect(result.code).toBe(0)
    const lines = result.out.split('\n')
    expect(lines[0]).toBe('at,type,user,key_prefix,tool,decision,reason,ip,duration_ms,org_id,chain_id,chain_seq')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain(',key.created,')
  })

  it('verifies an untouched audit log', async () => {
    await orgSetup()
    const result = await ws.cli(['audit', 'verify'])
    expect(result.code).toBe(0)
    expect(result.err).toBe('')
    expect(result.out).toMatch(/^OK: [1-9]\d* chains, [1-9]\d* records verified$/)
  })

  it('prints the chain heads as JSON', async () => {
    const { org, member } = await orgSetup()
    await createCiKey(org, member)
    const heads = await ws.json<{ chain_id: string; last_seq: number; hash: string; at: string }[]>(['audit', 'head'])
    await using store = Store.open(ws.url)
    const expected = (await store.audit.heads()).map((h) => ({
      chain_id: h.chain_id,
      last_seq: h.chain_seq,
      hash: h.hash,
      at: new Date(h.at).toISOString(),
    }))
    expect(heads).toEqual(expected)
    expect(heads.length).toBeGreaterThan(0)
  })
})

describe('gatehouse CLI errors', () => {
  let ws: Workspace
  let store: Store
  const MEMBER = 'member@example.com'

  beforeAll(async () => {
    ws = workspace()
    await ws.json(['orgs', 'create', 'acme'])
    await ws.json(['users', 'create', '--org', 'acme', '--email', MEMBER])
    await ws.json(['projects', 'create', '--org', 'acme', 'analytics'])
    await ws.json(['keys', 'create', '--org', 'acme', '--user', MEMBER, '--name', 'ci', '--project', 'analytics'])
    store = Store.open(ws.url)
  })

  afterAll(async () => {
    await store?.close()
  })

  /** Row counts of every table: a refused command leaves them all unchanged. */
  async function snapshot() {
    const tables = ['orgs', 'users', 'memberships', 'projects', 'api_keys', 'audit_events', 'store_counters'] as const
    const counts: Record<string, unknown> = {}
    for (const table of tables) {
      const row = await store.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      counts[table] = Number(row.n)
    }
    counts.epoch = await store.credentialEpoch()
    counts.revoked = (
      await store.db.selectFrom('api_keys').select('revoked_at').where('revoked_at', 'is not', null).execute()
    ).length
    return counts
  }

  const missingConfig = () => join(ws.dir, 'missing.yaml')
  const badConfig = () => {
    const path = join(ws.dir, 'bad.yaml')
    writeFileSync(path, `store:\n  url: ${ws.url}\n  pool: 4\n`)
    return path
  }

  type Case = readonly [string, () => string[], string | undefined, 1, () => string]
  const errors: Case[] = [
    [
      'an unknown org',
      () => ['users', 'create', '--org', 'nope', '--email', 'x@example.com'],
      undefined,
      1,
      () => 'error: Organization nope not found',
    ],
    [
      'a duplicate org',
      () => ['orgs', 'create', 'acme'],
      undefined,
      1,
      () => 'error: An organization named "acme" already exists',
    ],
    [
      'an invalid org name',
      () => ['orgs', 'create', 'bad name!'],
      undefined,
      1,
      () =>
        'error: "bad name!" is not a valid organization name: use 1–63 letters, digits, ".", "_" or "-", not starting with org_',
    ],
    [
      'an org name shaped like an org id',
      () => ['orgs', 'create', 'org_abc'],
      undefined,
      1,
      () =>
        'error: "org_abc" is not a valid organization name: use 1–63 letters, digits, ".", "_" or "-", not starting with org_',
    ],
    [
      'a bad email',
      () => ['users', 'create', '--org', 'acme', '--email', 'not-an-email'],
      undefined,
      1,
      () => 'error: --email: "not-an-email" is not an email address',
    ],
    [
      'a bad role',
      () => ['users', 'create', '--org', 'acme', '--email', 'r@example.com', '--role', 'root'],
      undefined,
      1,
      () => 'error: --role: "root" is not a role; expected owner, admin or member',
    ],
    [
      'a short password on standard input',
      () => ['users', 'create', '--org', 'acme', '--email', 'short@example.com', '--password-stdin'],
      'short\n',
      1,
      () => 'error: The password must have at least 12 characters',
    ],
    [
      'a duplicate member',
      () => ['users', 'create', '--org', 'acme', '--email', 'MEMBER@example.com'],
      undefined,
      1,
      () => `error: ${MEMBER} is already a member of this organization`,
    ],
    [
      'a duplicate project',
      () => ['projects', 'create', '--org', 'acme', 'analytics'],
      undefined,
      1,
      () => 'error: A project named "analytics" already exists in this organization',
    ],
    [
      'an unknown user for keys create',
      () => [
        'keys',
        'create',
        '--org',
        'acme',
        '--user',
        'ghost@example.com',
        '--name',
        'ci',
        '--project',
        'analytics',
      ],
      undefined,
      1,
      () => 'error: User ghost@example.com in this organization not found',
    ],
    [
      'bad --permissions',
      () => [
        'keys',
        'create',
        '--org',
        'acme',
        '--user',
        MEMBER,
        '--name',
        'ci',
        '--project',
        'analytics',
        '--permissions',
        'tables:read',
      ],
      undefined,
      1,
      () => 'error: --permissions: unknown resource "tables"; expected one of data, sql, domains, saved_queries',
    ],
    [
      'bad --expires',
      () => [
        'keys',
        'create',
        '--org',
        'acme',
        '--user',
        MEMBER,
        '--name',
        'ci',
        '--project',
        'analytics',
        '--expires',
        '2w',
      ],
      undefined,
      1,
      () => 'error: --expires: "2w" is not one of never, 7d, 30d, 90d, 1y',
    ],
    [
      '--admin for a member',
      () => ['keys', 'create', '--org', 'acme', '--user', MEMBER, '--name', 'ops', '--admin'],
      undefined,
      1,
      () => `error: An admin key needs an owner or admin; ${MEMBER} is a member`,
    ],
    [
      'an unknown project for keys create',
      () => ['keys', 'create', '--org', 'acme', '--user', MEMBER, '--name', 'ci', '--project', 'nope'],
      undefined,
      1,
      () => 'error: Project nope not found',
    ],
    [
      'revoking an unknown key id',
      () => ['keys', 'revoke', 'nosuchkey000'],
      undefined,
      1,
      () => 'error: API key nosuchkey000 not found',
    ],
    [
      '--config naming a missing file',
      () => ['--config', missingConfig(), 'orgs', 'list'],
      undefined,
      1,
      () => `error: ${missingConfig()}: (root): config file not found (looked for ${missingConfig()})`,
    ],
    [
      'a config file with an unknown key',
      () => ['--config', badConfig(), 'orgs', 'list'],
      undefined,
      1,
      () => `error: ${badConfig()}: store.pool: unknown key; expected one of url`,
    ],
    [
      'log --since banana',
      () => ['log', '--since', 'banana'],
      undefined,
      1,
      () => 'error: --since: "banana" is not a duration like 30m, 24h, 7d or a date',
    ],
    [
      'log --since with a bare number',
      () => ['log', '--since', '5'],
      undefined,
      1,
      () => 'error: --since: "5" is not a duration like 30m, 24h, 7d or a date',
    ],
    [
      'log --decision maybe',
      () => ['log', '--decision', 'maybe'],
      undefined,
      1,
      () => 'error: --decision: "maybe" is not one of allow, deny, error',
    ],
    ['log --json --csv', () => ['log', '--json', '--csv'], undefined, 1, () => 'error: Choose one of --json and --csv'],
    [
      'log --limit 0',
      () => ['log', '--limit', '0'],
      undefined,
      1,
      () => 'error: --limit: "0" is not a positive integer',
    ],
  ]

  it.each(errors)(
    'fails on %s with exit 1, the exact message on stderr, and writes nothing',
    async (_case, args, stdin, code, message) => {
      const before = await snapshot()
      const result = await ws.cli(args(), stdin)
      expect(result).toEqual({ code, out: '', err: message() })
      expect(await snapshot()).toEqual(before)
    },
  )

  type UsageCase = readonly [string, string[], string]
  const usage: UsageCase[] = [
    ['a missing required option', ['users', 'list'], "error: required option '--org <org>' not specified"],
    ['a missing argument', ['orgs', 'create'], "error: missing required argument 'name'"],
    ['an unknown command', ['frobnicate'], "error: unknown command 'frobnicate'"],
    ['an unknown option', ['orgs', 'list', '--bogus'], "error: unknown option '--bogus'"],
  ]

  it.each(usage)(
    'fails on %s with exit 2 and the usage error first on stderr, and writes nothing',
    async (_case, args, message) => {
      const before = await snapshot()
      const result = await ws.cli(args)
      expect(result.code).toBe(2)
      expect(result.out).toBe('')
      expect(result.err.split('\n')[0]).toBe(message)
      expect(result.err).toContain('Usage: gatehouse')
      expect(await snapshot()).toEqual(before)
    },
  )
})

describe('gatehouse audit verify', () => {
  it('fails with exit 1 and names the chain and seq of an edited record', async () => {
    const ws = workspace()
    await ws.json(['orgs', 'create', 'acme'])
    await ws.json(['users', 'create', '--org', 'acme', '--email', 'm@example.com'])
    await ws.json(['projects', 'create', '--org', 'acme', 'analytics'])
    await ws.json([
      'keys',
      'create',
      '--org',
      'acme',
      '--user',
      'm@example.com',
      '--name',
      'ci',
      '--project',
      'analytics',
    ])
    expect((await ws.cli(['audit', 'verify'])).code).toBe(0)

    const edited = await (async () => {
      await using store = Store.open(ws.url)
      const row = await store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('type', '=', 'key.created')
        .executeTakeFirstOrThrow()
      const data = { ...(JSON.parse(row.data) as Record<string, unknown>), actor: 'someone-else' }
      await store.db
        .updateTable('audit_events')
        .set({ data: JSON.stringify(data) })
        .where('id', '=', row.id)
        .execute()
      return row
    })()

    const result = await ws.cli(['audit', 'verify'])
    expect(result).toEqual({
      code: 1,
      out: '',
      err: `error: audit chain ${edited.chain_id} is broken at seq ${edited.chain_seq}: hash mismatch: record was edited`,
    })
    const json = await ws.cli(['audit', 'verify', '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      broken: { chain_id: edited.chain_id, chain_seq: edited.chain_seq, reason: 'hash mismatch: record was edited' },
    })
  })
})
