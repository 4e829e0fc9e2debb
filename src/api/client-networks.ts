import { BlockList, isIP } from 'node:net';

/** Why a string is not an IPv4 or IPv6 network in CIDR notation, or null when it is. */
export function cidrProblem(cidr: string): string | null {
  const [address, bits, ...rest] = cidr.split('/');
  const family = isIP(address ?? '');
  if (rest.length > 0 || address === undefined || family === 0) return 'must be an IPv4 or IPv6 network such as 10.0.0.0/8 or fd00::/8';
  if (bits === undefined) return null;
  const n = Number(bits);
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(bits) || n > max) return `the prefix length must be a whole number from 0 to ${max}`;
  return null;
}

/**
 * A test of client addresses against a list of networks. An IPv4 client reached over an IPv6
 * socket (`::ffff:10.1.2.3`) is matched as the IPv4 address it is.
 */
export function networkMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const family = isIP(plain);
    if (family === 0) return false;
    return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}
