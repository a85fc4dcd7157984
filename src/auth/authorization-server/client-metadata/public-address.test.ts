import { describe, expect, it } from 'vitest'
import { parseIpAddress, parseIpNetwork } from './ip-network.js'
import { isInNetworks, isPublicAddress } from './public-address.js'

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['0.0.0.0', false],
    ['10.1.2.3', false],
    ['100.64.0.1', false],
    ['100.128.0.1', true],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
    ['172.16.0.1', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['224.0.0.1', false],
    ['240.0.0.1', false],
    ['255.255.255.255', false],
    ['2606:4700:4700::1111', true],
    ['::', false],
    ['::1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['fe80::1', false],
    ['fe80::1%eth0', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['0:0:0:0:0:ffff:a9fe:a9fe', false],
    ['64:ff9b::10.0.0.1', false],
    ['64:ff9b::8.8.8.8', true],
    ['64:ff9b:1::1', false],
    ['2002:7f00:1::1', false],
    ['2002:808:808::1', true],
    ['not-an-ip', false],
    ['', false],
  ])('%s is public: %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected)
  })
})

describe('isInNetworks', () => {
  const networks = ['127.0.0.1/32', 'fd00::/8'].map((cidr) => parseIpNetwork(cidr))

  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['127.0.0.2', false],
    ['fd00::5', true],
    ['fe80::1', false],
  ])('%s is allowed: %s', (ip, expected) => {
    expect(isInNetworks(ip, networks)).toBe(expected)
  })
})

describe('parseIpNetwork', () => {
  it('clears the host bits and treats a bare address as a single-address network', () => {
    expect(parseIpNetwork('10.1.2.3/8')).toEqual({ version: 4, value: 0x0a000000n, prefix: 8 })
    expect(parseIpNetwork('::1')).toEqual({ version: 6, value: 1n, prefix: 128 })
  })

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0.0/8/8', 'example.com/8', '10.0.0/8'])(
    'refuses %s',
    (cidr) => {
      expect(() => parseIpNetwork(cidr)).toThrow(
        expect.objectContaining({ code: 'INPUT_INVALID', field: 'allowedPrivateNetworks' }),
      )
    },
  )
})

describe('parseIpAddress', () => {
  it('reads an IPv6 address with an embedded IPv4 tail', () => {
    expect(parseIpAddress('::ffff:1.2.3.4')).toEqual({ version: 6, value: 0xffff01020304n })
    expect(parseIpAddress('1:2:3:4:5:6:7:8')?.value).toBe(0x00010002000300040005000600070008n)
  })
})
