import { isIPv4, isIPv6 } from 'node:net'
import { InputError } from '../../../domain/errors.js'

/** An IP address as a number, so ranges compare without string tricks (`::ffff:7f00:1` is `127.0.0.1`). */
export interface IpAddress {
  readonly version: 4 | 6
  readonly value: bigint
}

/** A CIDR block; `value` has the host bits cleared. */
export interface IpNetwork {
  readonly version: 4 | 6
  readonly value: bigint
  readonly prefix: number
}

const BITS = { 4: 32, 6: 128 } as const

/** Parses a textual IPv4 or IPv6 address (an IPv6 zone such as `%eth0` is dropped); undefined when it is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const ip = text.replace(/%.*$/, '')
  if (isIPv4(ip)) return { version: 4, value: ipv4Value(ip) }
  if (!isIPv6(ip)) return undefined
  const [head = '', tail] = ip.split('::') as [string, string | undefined]
  const toGroups = (part: string): bigint[] => {
    if (part === '') return []
    return part.split(':').flatMap((group) => {
      // An embedded dotted quad (`::ffff:10.0.0.1`) stands for the last two groups.
      if (group.includes('.')) {
        const v4 = ipv4Value(group)
        return [v4 >> 16n, v4 & 0xffffn]
      }
      return [BigInt(`0x${group}`)]
    })
  }
  const left = toGroups(head)
  const right = tail === undefined ? [] : toGroups(tail)
  const groups = [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right]
  return { version: 6, value: groups.reduce((acc, group) => (acc << 16n) | group, 0n) }
}

function ipv4Value(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n)
}

/** Parses `10.0.0.0/8`, `fc00::/7`, or a bare address (a single-address network). */
export function parseIpNetwork(text: string, field = 'allowedPrivateNetworks'): IpNetwork {
  const [ip = '', prefixText, extra] = text.split('/')
  const address = parseIpAddress(ip)
  const bits = address === undefined ? 0 : BITS[address.version]
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1
  if (address === undefined || extra !== undefined || prefix < 0 || prefix > bits) {
    throw new InputError(`${field}: "${text}" is not an IP network in CIDR notation`, field)
  }
  return { version: address.version, value: address.value & networkMask(address.version, prefix), prefix }
}

export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  return (
    network.version === address.version &&
    (address.value & networkMask(network.version, network.prefix)) === network.value
  )
}

function networkMask(version: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[version])
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n)
}
