import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsServer, startDnsServer } from '../../test/helpers/dns-server.js';
import { CallbackResolver, DnsLookupError } from './callback-resolver.js';

describe('CallbackResolver', () => {
  let dns: DnsServer;
  let sut: CallbackResolver;
  beforeAll(async () => {
    dns = await startDnsServer({ 'hooks.example.test': '192.0.2.10' }, ['silent.example.test']);
    sut = new CallbackResolver({ servers: [dns.address], timeoutMs: 100 });
  });
  afterAll(() => dns.close());

  const asked = (name: string) => dns.queries.filter((query) => query.name === name).length;

  it('answers from the hosts file first, without asking DNS', async () => {
    expect(await sut.resolve('localhost', 4)).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(await sut.resolve('LOCALHOST', 0)).toContainEqual({ address: '127.0.0.1', family: 4 });
    expect(asked('localhost')).toBe(0);
  });

  it('resolves through the configured servers, and keeps the answer for its TTL', async () => {
    expect(await sut.resolve('hooks.example.test', 0)).toEqual([
      { address: '192.0.2.10', family: 4 },
    ]);
    expect(await sut.resolve('hooks.example.test', 4)).toEqual([
      { address: '192.0.2.10', family: 4 },
    ]);
    // one A and one AAAA query: the second lookup came from the cache
    expect(asked('hooks.example.test')).toBe(2);
  });

  it('shares one query among lookups of a name made at once', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () => sut.resolve('other.example.test', 0).catch(() => undefined)),
    );
    expect(asked('other.example.test')).toBe(2);
  });

  it('says a name does not exist as ENOTFOUND', async () => {
    await expect(sut.resolve('missing.example.test', 0)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('fails a name the servers never answer with a DNS error in words', async () => {
    const failure = sut.resolve('silent.example.test', 0);
    await expect(failure).rejects.toBeInstanceOf(DnsLookupError);
    await expect(failure).rejects.toThrow(
      'DNS lookup of silent.example.test failed: no answer from the DNS servers in time (ETIMEOUT)',
    );
    expect(asked('silent.example.test')).toBeGreaterThanOrEqual(2);
  });
});
