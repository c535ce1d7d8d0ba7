import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { TracekitError } from '../errors.js';

export type IpFamily = 4 | 6;

export interface Cidr {
  readonly family: IpFamily;
  readonly network: string;
  readonly prefix: number;
  /** `network/prefix`, normalised. */
  readonly text: string;
}

// Addresses an OTLP receiver may bind: RFC 1918, shared address space
// (RFC 6598, e.g. Tailscale), IPv6 unique-local, and loopback for a one-host trial.
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');

export function ipFamily(address: string): IpFamily | null {
  if (isIPv4(address)) return 4;
  if (isIPv6(address)) return 6;
  return null;
}

export function isPrivateAddress(address: string): boolean {
  const family = ipFamily(address);
  if (family === null) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export function isUnspecifiedAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '' || address === '[::]';
}

/** Parses `--listen`: one private IP literal (no host name, no port). */
export function parseListenAddress(raw: string): { address: string; family: IpFamily } {
  const value = raw.trim().replace(/^\[(.*)\]$/, '$1');
  const family = ipFamily(value);
  if (family === null) {
    throw new TracekitError('COLLECTOR_BAD_LISTEN', `--listen expects a private IP address such as 10.0.0.5 (no host name, no port), found '${raw}'`);
  }
  if (isUnspecifiedAddress(value)) {
    throw new TracekitError('COLLECTOR_BAD_LISTEN', `--listen expects a private IP address; found '${raw}', which binds every interface`);
  }
  if (!isPrivateAddress(value)) {
    throw new TracekitError(
      'COLLECTOR_BAD_LISTEN',
      `--listen expects a private address (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 or loopback), found public address '${raw}'`,
    );
  }
  return { address: value, family };
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const parts = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) + BigInt(parseInt(part, 16)), 0n);
}

/** Parses one CIDR (or a bare address, taken as a single host) strictly. */
export function parseCidr(raw: string): Cidr {
  const value = raw.trim();
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const prefixText = slash === -1 ? null : value.slice(slash + 1);
  const family = ipFamily(address);
  const bad = (why: string): TracekitError =>
    new TracekitError('COLLECTOR_BAD_CIDR', `--allow expects CIDRs such as 10.0.0.0/8 or fd00::/8, found '${raw}' (${why})`);
  if (family === null) throw bad('not an IPv4 or IPv6 address');
  const max = family === 4 ? 32 : 128;
  if (prefixText !== null && !/^\d{1,3}$/.test(prefixText)) throw bad('the prefix length is not a number');
  const prefix = prefixText === null ? max : Number(prefixText);
  if (prefix > max) throw bad(`the prefix length is above ${max}`);
  if (prefix === 0) throw bad('a /0 opens the OTLP ports to everyone');
  if (family === 4) {
    const n = ipv4ToInt(address);
    const hostBits = prefix === 32 ? 0 : n % 2 ** (32 - prefix);
    if (hostBits !== 0) {
      const network = n - hostBits;
      const text = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
      throw bad(`host bits are set; did you mean ${text}/${prefix}?`);
    }
    return { family, network: address, prefix, text: `${address}/${prefix}` };
  }
  const n = ipv6ToBigInt(address);
  const hostMask = (1n << BigInt(128 - prefix)) - 1n;
  if ((n & hostMask) !== 0n) throw bad('host bits are set');
  return { family, network: address.toLowerCase(), prefix, text: `${address.toLowerCase()}/${prefix}` };
}

/** Parses `--allow` (comma-separated, repeatable), dropping duplicates and keeping order. */
export function parseCidrList(raw: readonly string[]): Cidr[] {
  const items = raw.flatMap((r) => r.split(',')).map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) {
    throw new TracekitError('COLLECTOR_BAD_CIDR', `--allow expects a comma-separated list of CIDRs such as 10.0.0.0/8,192.168.1.0/24, found '${raw.join(',')}'`);
  }
  const seen = new Set<string>();
  const out: Cidr[] = [];
  for (const item of items) {
    const cidr = parseCidr(item);
    if (seen.has(cidr.text)) continue;
    seen.add(cidr.text);
    out.push(cidr);
  }
  return out;
}

/** Splits `host:port` / `[v6]:port` / `:port` as found in collector endpoints. */
export function splitHostPort(endpoint: string): { host: string; port: string } {
  const text = endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1] ?? '', port: v6[2] ?? '' };
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { host: text, port: '' };
  if (text.indexOf(':') !== colon) return { host: text, port: '' };
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

export function formatHostPort(host: string, port: number): string {
  return ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
