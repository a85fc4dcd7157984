import { isIP } from 'node:net'
import type { LookupFunction } from 'node:net'
import type { RequestOptions } from 'node:https'
import { rootCertificates } from 'node:tls'

/** An address the host resolved to and that passed the address policy. */
export interface PinnedAddress {
  readonly address: string
  readonly family: 4 | 6
}

/**
 * The options for the one GET of a metadata document. The socket goes to `pinned`, the address that was checked:
 * `lookup` answers with it instead of asking DNS again, so a name that re-resolves to 127.0.0.1 between the check
 * and the connect (DNS rebinding) cannot redirect the request. The URL's own host still names the server in the
 * TLS SNI and certificate check and in the Host header.
 */
export function buildMetadataRequestOptions(
  url: URL,
  pinned: PinnedAddress,
  signal: AbortSignal,
  extraCa?: string,
): RequestOptions {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return {
    method: 'GET',
    protocol: url.protocol,
    hostname,
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { host: url.host, accept: 'application/json', 'user-agent': 'Gatehouse' },
    lookup: pinnedLookup(pinned),
    // SNI carries a DNS name only (RFC 6066 §3); for an IP-literal host there is none to send.
    ...(isIP(hostname) === 0 && { servername: hostname }),
    rejectUnauthorized: true,
    // Setting `ca` replaces the default trust store, so the system's roots are kept alongside the extra CA.
    ...(extraCa !== undefined && { ca: [...rootCertificates, extraCa] }),
    // A fresh connection each time: a pooled socket is keyed by host name, not by the address that was checked.
    agent: false,
    signal,
  }
}

function pinnedLookup(pinned: PinnedAddress): LookupFunction {
  // Node asks for every address (`all: true`) when it races IPv4 and IPv6 (autoSelectFamily), else for one.
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: pinned.address, family: pinned.family }])
    else callback(null, pinned.address, pinned.family)
  }
}
