import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { AppConfig } from '../config/app-config.js';
import { CallbackResolver } from './callback-resolver.js';
import { InjectAppConfig } from '../config/app-config.module.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
  uniqueLocal: 'unique-local (fc00::/7)',
};

/** IPv6 ranges that carry an IPv4 address inside: the inner address decides. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d (and ::a.b.c.d as the parser reads it)
    case 'rfc6145': // ::ffff:0:a.b.c.d
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64)
      return new ipaddr.IPv4(bytes.slice(12, 16));
    case '6to4': // 2002:aabb:ccdd::
      return new ipaddr.IPv4(bytes.slice(2, 6));
    case 'teredo': // 2001:0:server:flags:port:~client
      return new ipaddr.IPv4(bytes.slice(12, 16).map((byte) => byte ^ 0xff));
    default:
      return undefined;
  }
}

/**
 * IPv6 ranges ipaddr.js calls unicast that reach IPv4 hosts in ways embeddedIpv4 cannot read:
 * IPv4-compatible addresses (::a.b.c.d, deprecated) and local-use NAT64 prefixes.
 */
const DENIED_IPV6: [ipaddr.IPv6, number, string][] = [
  [...(ipaddr.parseCIDR('::/96') as [ipaddr.IPv6, number]), 'an IPv4-compatible address (::/96)'],
  [
    ...(ipaddr.parseCIDR('64:ff9b:1::/48') as [ipaddr.IPv6, number]),
    'a local-use NAT64 address (64:ff9b:1::/48)',
  ],
];

export class DestinationDeniedError extends Error {
  readonly code = 'ERR_DESTINATION_DENIED';
}

/**
 * Where callbacks may go (the SSRF guard). Only global unicast addresses, unless a range is opened
 * with DELIVERY_ALLOWED_CIDRS. Used when a webhook is created or changed (literal addresses and
 * localhost) and on every connection the sender makes (every resolved address is checked, and
 * the connection goes to the address that was checked, so a DNS answer cannot change in between).
 */
@Injectable()
export class DestinationPolicy {
  private readonly allowed: [Address, number][];
  private readonly resolver: CallbackResolver;

  constructor(@InjectAppConfig() config: AppConfig) {
    const { delivery } = config;
    this.allowed = delivery.allowedCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
    this.resolver = new CallbackResolver({
      servers: delivery.dnsServers,
      timeoutMs: delivery.dnsTimeoutMs,
    });
  }

  /** Why an address may not be reached, or undefined when it may. */
  denialOf(text: string): string | undefined {
    let address: Address;
    try {
      address = ipaddr.parse(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return `${text} is not an IP address`;
    }
    if (this.isAllowed(address)) return undefined;
    if (address.kind() === 'ipv6') {
      // :: and ::1 keep their own names (unspecified, loopback)
      const plain = ['unspecified', 'loopback'].includes(address.range());
      const rule = plain ? undefined : DENIED_IPV6.find(([net, bits]) => address.match(net, bits));
      if (rule) return `${address.toString()} is ${rule[2]}`;
      const inner = embeddedIpv4(address as ipaddr.IPv6);
      if (inner) {
        const innerDenial = this.denialOf(inner.toString());
        return innerDenial ? `${address.toString()} embeds ${innerDenial}` : undefined;
      }
    }
    const range = address.range();
    if (range === 'unicast') {
      const rule =
        address.kind() === 'ipv6'
          ? DENIED_IPV6.find(([net, bits]) => address.match(net, bits))
          : undefined;
      return rule ? `${address.toString()} is ${rule[2]}` : undefined;
    }
    return `${address.toString()} is a ${RANGE_NAMES[range] ?? range} address`;
  }

  /**
   * For create and update: a literal address, or localhost, in a denied range. Host names are
   * checked when they are resolved, at send time.
   */
  denialOfUri(uri: string): string | undefined {
    const url = new URL(uri);
    if (url.port === '0') return 'port 0 cannot be reached';
    const host = withoutRootDot(url.hostname.replace(/^\[|\]$/g, ''));
    if (host === 'localhost' || host.endsWith('.localhost')) {
      return this.denialOf('127.0.0.1') && `${host} is a loopback name`;
    }
    if (isIP(host) !== 0) return this.denialOf(host);
    return undefined;
  }

  /**
   * A `lookup` for http(s) agents: resolves, refuses if any address is denied, and hands the
   * connection the checked addresses only.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number } | number,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    const family = typeof options === 'number' ? options : (options.family ?? 0);
    const all = typeof options === 'object' && options.all === true;
    this.resolve(withoutRootDot(hostname), family, (error, addresses) => {
      if (error) return callback(error, all ? [] : '', undefined);
      if (addresses.length === 0) {
        return callback(
          Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }),
          all ? [] : '',
        );
      }
      for (const { address } of addresses) {
        const denial = this.denialOf(address);
        if (denial)
          return callback(
            new DestinationDeniedError(`destination denied: ${hostname} → ${denial}`),
            all ? [] : '',
          );
      }
      if (all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  /** The resolver behind `lookup`; a seam so tests can answer as a rebinding DNS server would. */
  resolve: (
    hostname: string,
    family: number,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => void = (hostname, family, callback) =>
    void this.resolver.resolve(hostname, family).then(
      (addresses) => callback(null, addresses),
      (error: NodeJS.ErrnoException) => callback(error, []),
    );

  private isAllowed(address: Address): boolean {
    return this.allowed.some(([range, bits]) => {
      if (address.kind() === range.kind()) return address.match(range, bits);
      // an allowed IPv4 range also opens its IPv4-mapped IPv6 form
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
        const inner = (address as ipaddr.IPv6).toIPv4Address();
        return range.kind() === 'ipv4' && inner.match(range, bits);
      }
      return false;
    });
  }
}

/**
 * `localhost.` is `localhost` written fully qualified (the root's empty label after the dot): a
 * name is judged, and resolved, without it.
 */
function withoutRootDot(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}
