import { BlockList, isIP } from 'node:net'

/**
 * The caller's address, proxy-aware only for the configured proxies
 * (`server.trust_proxy`): `X-Forwarded-For` is read right to left and the
 * first address that is not a trusted proxy wins, so a client cannot forge
 * its address by sending the header itself.
 */
export class ClientAddressResolver {
  readonly #trusted: BlockList | undefined

  constructor(trustProxy: false | readonly string[]) {
    if (trustProxy === false || trustProxy.length === 0) return
    const list = new BlockList()
    for (const entry of trustProxy) {
      const [address, bits] = entry.split('/') as [string, string | undefined]
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) list.addAddress(address, family)
      else list.addSubnet(address, Number(bits), family)
    }
    this.#trusted = list
  }

  resolve(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined): string | undefined {
    const remote = normalise(remoteAddress)
    if (this.#trusted === undefined || remote === undefined || !this.#isTrusted(remote)) return remote
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor
    if (header === undefined) return remote
    const hops = header
      .split(',')
      .map((h) => normalise(h.trim()))
      .filter((h): h is string => h !== undefined && isIP(h) !== 0)
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string
      if (!this.#isTrusted(hop)) return hop
    }
    return hops[0] ?? remote
  }

  /** Whether the direct peer is a configured proxy (whose X-Forwarded-* headers may be believed). */
  isTrustedProxy(remoteAddress: string | undefined): boolean {
    const remote = normalise(remoteAddress)
    return this.#trusted !== undefined && remote !== undefined && this.#isTrusted(remote)
  }

  #isTrusted(address: string): boolean {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    return this.#trusted?.check(address, family) ?? false
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
function normalise(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}
