import CacheableLookup from 'cacheable-lookup';
import { type LookupAddress, promises as dns } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

/** Each server is asked this many times before a lookup fails. */
export const DNS_TRIES = 2;
const HOSTS_FILE = '/etc/hosts';
/** The hosts file is read again at most this often. */
const HOSTS_MAX_AGE_MS = 5_000;

/** Why a host name could not be resolved, in words an attempt's log can carry. */
export class DnsLookupError extends Error {
  readonly code = 'ERR_DNS_LOOKUP';
}

const DNS_FAILURES: Record<string, string> = {
  ETIMEOUT: 'no answer from the DNS servers in time',
  ECONNREFUSED: 'the DNS servers refused the connection',
  ESERVFAIL: 'the DNS server failed to answer (SERVFAIL)',
  EREFUSED: 'the DNS server refused the query',
  EBADRESP: 'the DNS server answered something unreadable',
};

export interface ResolverOptions {
  /** `ip` or `ip:port` ([v6]:port); empty: the system's (resolv.conf). */
  servers: string[];
  /** How long one query waits for an answer, per try. */
  timeoutMs: number;
}

/**
 * Resolves callbacks' host names without the libuv thread pool: the hosts file first (as the
 * system's resolver does, so `localhost` and names set there keep working), then DNS through
 * c-ares (`dns.Resolver`: queries are sockets on the event loop, each with a timeout and a number
 * of tries), with answers cached for their TTL (cacheable-lookup). `dns.lookup` would run each
 * lookup on one of the pool's four threads, so four receivers whose DNS hangs would stall every
 * new connection, to every receiver; here a name that never resolves only fails its own attempts.
 */
export class CallbackResolver {
  private readonly cache: CacheableLookup;
  private hostsFile: { readAt: number; names: Promise<Map<string, LookupAddress[]>> } | undefined;

  constructor(options: ResolverOptions) {
    const resolver = new dns.Resolver({ timeout: options.timeoutMs, tries: DNS_TRIES });
    if (options.servers.length > 0) resolver.setServers(options.servers);
    // lookup: false, no fallback to dns.lookup (the thread pool): the hosts file is read here.
    this.cache = new CacheableLookup({ resolver, lookup: false, fallbackDuration: 0 });
  }

  /** The hosts file as read within the last HOSTS_MAX_AGE_MS. */
  private hostsNames(): Promise<Map<string, LookupAddress[]>> {
    const now = performance.now();
    if (this.hostsFile === undefined || now - this.hostsFile.readAt >= HOSTS_MAX_AGE_MS) {
      this.hostsFile = { readAt: now, names: readHosts(HOSTS_FILE) };
    }
    return this.hostsFile.names;
  }

  /** The addresses of `hostname` (of `family`, 0 for both); fails with the reason in words. */
  async resolve(hostname: string, family: number): Promise<LookupAddress[]> {
    const name = hostname.toLowerCase();
    const listed = (await this.hostsNames()).get(name);
    if (listed) {
      const ofFamily = listed.filter((entry) => family === 0 || entry.family === family);
      if (ofFamily.length > 0) return ofFamily;
    }
    try {
      const entries = await this.cache.lookupAsync(name, {
        all: true,
        ...(family === 4 || family === 6 ? { family } : {}),
      });
      return entries.map(({ address, family: of }) => ({ address, family: of }));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOTFOUND' || code === 'ENODATA') {
        throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
      }
      const why = DNS_FAILURES[code] ?? (error as Error).message;
      throw new DnsLookupError(`DNS lookup of ${hostname} failed: ${why} (${code})`);
    }
  }
}

/** The hosts file's names (lower-case) and their addresses; empty when it cannot be read. */
async function readHosts(path: string): Promise<Map<string, LookupAddress[]>> {
  const names = new Map<string, LookupAddress[]>();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = isIP(address ?? '');
    if (family === 0) continue;
    for (const alias of aliases) {
      const name = alias.toLowerCase();
      const entries = names.get(name) ?? [];
      if (!entries.some((entry) => entry.address === address)) entries.push({ address, family });
      names.set(name, entries);
    }
  }
  return names;
}
