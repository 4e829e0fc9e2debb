import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Raised when a webhook URL may not be used; the message says why, without the URL (it may hold a token). */
export class UnsafeTargetError extends Error {
  override name = 'UnsafeTargetError';
}

// Addresses a notification must never reach unless private targets are allowed: loopback,
// private, link-local (cloud metadata lives there), carrier-grade NAT, unspecified, multicast.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether an address is private, loopback, link-local or otherwise not a public destination. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // IPv4-mapped and -compatible IPv6 addresses are judged as the IPv4 address they carry.
  const mapped = /^(?:::ffff:|::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16);
    const lo = parseInt(hexMapped[2]!, 16);
    return blocked.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  return blocked.check(address, 'ipv6');
}

/** Parses a webhook URL: http or https only, no credentials in it. */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeTargetError('the url is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafeTargetError(`the url must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username || url.password) throw new UnsafeTargetError('the url must not carry a user name or password');
  return url;
}

/** An address the request connects to, checked. */
export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/** How targets are resolved (passed in so tests can answer as a rebinding DNS server would). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Resolves the URL's host and checks every address it gives: one private address is enough to
 * refuse (a name that answers both could be steered to either). The request then connects to the
 * address returned here, so a second lookup cannot swap in another (DNS rebinding).
 */
export async function resolveSafeTarget(url: URL, allowPrivate: boolean, resolver: Resolver = systemResolver): Promise<ResolvedTarget> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolver(host);
    } catch (error) {
      throw new UnsafeTargetError(`the url's host does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
    }
  }
  if (addresses.length === 0) throw new UnsafeTargetError("the url's host does not resolve");
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new UnsafeTargetError(`the url resolves to ${bad.address}, a private, loopback or link-local address (set CEOS_WEBHOOK_ALLOW_PRIVATE=true to allow such targets)`);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
