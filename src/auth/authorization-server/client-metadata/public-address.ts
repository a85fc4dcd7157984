import { networkContains, parseIpAddress, parseIpNetwork } from './ip-network.js'
import type { IpAddress, IpNetwork } from './ip-network.js'

/**
 * Ranges a fetch on behalf of a client must never reach: this host, the operator's private networks, cloud
 * metadata (169.254.169.254), carrier NAT, multicast and the reserved blocks.
 */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4', // includes 255.255.255.255
].map((cidr) => parseIpNetwork(cidr))

const NON_PUBLIC_V6 = [
  '::/96', // the unspecified address, loopback, and the deprecated IPv4-compatible block
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
  '64:ff9b:1::/48', // local-use NAT64 (RFC 8215): translates to whatever the operator's network holds
].map((cidr) => parseIpNetwork(cidr))

/** IPv6 prefixes whose low 32 bits are an IPv4 address the packet ends up at, so the IPv4 rules apply. */
const EMBEDS_V4_IN_LOW_BITS = ['::ffff:0:0/96', '64:ff9b::/96'].map((cidr) => parseIpNetwork(cidr))
/** 6to4 (RFC 3056) carries the IPv4 address in bits 16..47. */
const SIX_TO_FOUR = parseIpNetwork('2002::/16')

/** The IPv4 address an IPv6 address is delivered to, when it is one of the translation forms; else itself. */
function effectiveAddress(address: IpAddress): IpAddress {
  if (address.version === 4) return address
  if (EMBEDS_V4_IN_LOW_BITS.some((network) => networkContains(network, address))) {
    return { version: 4, value: address.value & 0xffffffffn }
  }
  if (networkContains(SIX_TO_FOUR, address)) return { version: 4, value: (address.value >> 80n) & 0xffffffffn }
  return address
}

/** True for a globally routable unicast address; false for anything else, including text that is not an address. */
export function isPublicAddress(ip: string): boolean {
  const parsed = parseIpAddress(ip)
  if (parsed === undefined) return false
  const address = effectiveAddress(parsed)
  const blocked = address.version === 4 ? NON_PUBLIC_V4 : NON_PUBLIC_V6
  return !blocked.some((network) => networkContains(network, address))
}

/** True when the address (or the IPv4 address it translates to) lies in one of the operator's allowed networks. */
export function isInNetworks(ip: string, networks: readonly IpNetwork[]): boolean {
  const parsed = parseIpAddress(ip)
  if (parsed === undefined) return false
  const candidates = [parsed, effectiveAddress(parsed)]
  return networks.some((network) => candidates.some((address) => networkContains(network, address)))
}
