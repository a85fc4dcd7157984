import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCa {
  /** PEM of the CA certificate: what the server under test is configured to trust. */
  readonly caPem: string
  readonly certPem: string
  readonly keyPem: string
}

let cached: TestCa | undefined

/** A self-signed CA and a certificate it issued for localhost and 127.0.0.1, made with openssl. */
export function testCa(): TestCa {
  if (cached !== undefined) return cached
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ca-'))
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  try {
    run(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Gatehouse Test CA',
    )
    run(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
      '-subj',
      '/CN=localhost',
    )
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
    run(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'leaf.pem',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    )
    cached = {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      certPem: readFileSync(join(dir, 'leaf.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'leaf.key'), 'utf8'),
    }
    return cached
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface HttpsDocServer extends AsyncDisposable {
  readonly origin: string
  /** Requests seen, by path. */
  readonly hits: Map<string, number>
  close(): Promise<void>
}

/** An https server (certificate of `testCa()`) on 127.0.0.1 that answers each path with `handler`. */
export async function startHttpsServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<HttpsDocServer> {
  const ca = testCa()
  const hits = new Map<string, number>()
  const server: Server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    hits.set(path, (hits.get(path) ?? 0) + 1)
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return { origin: `https://localhost:${port}`, hits, close, [Symbol.asyncDispose]: close }
}
