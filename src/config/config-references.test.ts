import { describe, expect, it } from 'vitest'
import { ConfigError } from '../domain/errors.js'
import { expandVariables, resolveReferences, resolveValue } from './config-references.js'
import type { ReferenceContext } from './config-references.js'

const env = { HOST: 'db.internal', EMPTY: '', USER: 'gate', NESTED: '${HOST}' }

function contextWith(files: Record<string, string>, reads: string[] = []): ReferenceContext {
  return {
    file: 'gatehouse.yaml',
    baseDir: '/etc/gatehouse',
    env,
    readFile: (path) => {
      reads.push(path)
      const content = files[path]
      if (content === undefined) throw Object.assign(new Error(`no such file ${path}`), { code: 'ENOENT' })
      return content
    },
  }
}

describe('expandVariables', () => {
  it.each([
    ['plain text', 'plain text'],
    ['${HOST}', 'db.internal'],
    ['postgres://${USER}@${HOST}/db', 'postgres://gate@db.internal/db'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${HOST:-fallback}', 'db.internal'],
    ['${UNSET:-}', ''],
    ['${EMPTY}', ''],
    ['$${HOST}', '${HOST}'],
    ['cost: $$5 and $x', 'cost: $$5 and $x'],
    ['${NESTED}', '${HOST}'],
    ['${UNSET:-a:b-c}', 'a:b-c'],
  ])('expands %j to %j', (input, expected) => {
    expect(expandVariables(input, env)).toEqual({ ok: true, value: expected })
  })

  it.each([
    ['${MISSING}', 'environment variable MISSING is not set (write ${MISSING:-default} for a default)'],
    ['prefix ${MISSING} suffix', 'environment variable MISSING is not set (write ${MISSING:-default} for a default)'],
    ['${HOST', 'unterminated "${"; write $${ for a literal "${"'],
    ['${1ABC}', 'invalid reference "${1ABC}"; expected ${NAME} or ${NAME:-default}'],
    ['${}', 'invalid reference "${}"; expected ${NAME} or ${NAME:-default}'],
    ['${A-B}', 'invalid reference "${A-B}"; expected ${NAME} or ${NAME:-default}'],
  ])('refuses %j', (input, problem) => {
    expect(expandVariables(input, env)).toEqual({ ok: false, problem })
  })
})

describe('resolveValue', () => {
  it('reads a relative file: path from the config folder and trims trailing newlines only', () => {
    const reads: string[] = []
    const context = contextWith({ '/etc/gatehouse/secrets/corp': 'line one\nline two\r\n\n' }, reads)
    expect(resolveValue('file:secrets/corp', context)).toEqual({ ok: true, value: 'line one\nline two' })
    expect(reads).toEqual(['/etc/gatehouse/secrets/corp'])
  })

  it('reads an absolute file: path as it is and expands variables in the path', () => {
    const context = contextWith({ '/run/secrets/db.internal': 's3cret\n' })
    expect(resolveValue('file:/run/secrets/${HOST}', context)).toEqual({ ok: true, value: 's3cret' })
  })

  it('does not expand references inside file contents', () => {
    const context = contextWith({ '/etc/gatehouse/pw': 'a${HOST}b' })
    expect(resolveValue('file:pw', context)).toEqual({ ok: true, value: 'a${HOST}b' })
  })

  it('treats file: as a reference only at the start of a value', () => {
    expect(resolveValue('see file:x', contextWith({}))).toEqual({ ok: true, value: 'see file:x' })
  })

  it.each([
    ['file:missing', 'cannot read the file /etc/gatehouse/missing (ENOENT)'],
    ['file:', 'expected a path after "file:"'],
    ['file:${MISSING}', 'environment variable MISSING is not set (write ${MISSING:-default} for a default)'],
  ])('refuses %j', (input, problem) => {
    expect(resolveValue(input, contextWith({}))).toEqual({ ok: false, problem })
  })
})

describe('resolveReferences', () => {
  it('resolves every string value of the tree and leaves keys and other scalars alone', () => {
    const tree = {
      '${HOST}': 'key stays',
      list: ['${USER}', 3, true, null, { deep: 'file:pw' }],
      port: 8000,
    }
    const resolved = resolveReferences(tree, contextWith({ '/etc/gatehouse/pw': 'hunter2\n' }))
    expect(resolved).toEqual({
      '${HOST}': 'key stays',
      list: ['gate', 3, true, null, { deep: 'hunter2' }],
      port: 8000,
    })
    expect(tree.list[0]).toBe('${USER}')
  })

  it('reports every unresolvable reference in one ConfigError naming the file and key paths', () => {
    const tree = { auth: { clients: [{ client_secret: '${MISSING}' }] }, server: { tls: { key: 'file:tls.key' } } }
    let error: unknown
    try {
      resolveReferences(tree, contextWith({}))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    const configError = error as ConfigError
    expect(configError.code).toBe('CONFIG_INVALID')
    expect(configError.file).toBe('gatehouse.yaml')
    expect(configError.path).toBe('auth.clients[0].client_secret')
    expect(configError.message).toBe(
      'gatehouse.yaml: auth.clients[0].client_secret: environment variable MISSING is not set ' +
        '(write ${MISSING:-default} for a default)\n' +
        'gatehouse.yaml: server.tls.key: cannot read the file /etc/gatehouse/tls.key (ENOENT)',
    )
  })
})
