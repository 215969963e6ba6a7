import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { loadAppConfig } from '../config/app-config.js';
import { DENIED_DESTINATIONS } from '../../test/fixtures/denied-destinations.js';
import { DestinationPolicy } from './destination-policy.js';

const policy = (allowed = '') => {
  const app = loadAppConfig({ DELIVERY_ALLOWED_CIDRS: allowed });
  return new DestinationPolicy(app);
};

describe('DestinationPolicy', () => {
  const sut = policy();

  it.each(DENIED_DESTINATIONS)('refuses %s (%s)', (uri, rule) => {
    expect(sut.denialOfUri(uri)).toMatch(rule);
  });

  it.each([
    'https://example.com/hook',
    'http://8.8.8.8/',
    'http://[2606:4700::1111]/',
    'https://hooks.example.org:8443/x',
  ])('lets %s through (names are checked when resolved)', (uri) =>
    expect(sut.denialOfUri(uri)).toBeUndefined(),
  );

  it('opens the ranges of DELIVERY_ALLOWED_CIDRS, including their IPv4-mapped form, and nothing else', () => {
    const open = policy('127.0.0.0/8,fd00::/8');
    expect(open.denialOfUri('http://127.0.0.1:3000/')).toBeUndefined();
    expect(open.denialOfUri('http://localhost/')).toBeUndefined();
    expect(open.denialOfUri('http://[::ffff:127.0.0.1]/')).toBeUndefined();
    expect(open.denialOfUri('http://[fd12::1]/')).toBeUndefined();
    expect(open.denialOfUri('http://10.0.0.1/')).toMatch(/private/);
    expect(open.denialOfUri('http://[::1]/')).toMatch(/loopback/);
  });

  describe('lookup (send time)', () => {
    const lookup = (sut: DestinationPolicy, answers: LookupAddress[][], all = false) => {
      let call = 0;
      sut.resolve = (_host, _family, callback) =>
        callback(null, answers[Math.min(call++, answers.length - 1)]);
      return new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
        sut.lookup('hooks.example.com', { all }, (error, address) => resolve({ error, address })),
      );
    };

    it('connects to the address it checked', async () => {
      const result = await lookup(policy(), [[{ address: '93.184.216.34', family: 4 }]]);
      expect(result).toEqual({ error: null, address: '93.184.216.34' });
    });

    it('refuses when any resolved address is denied', async () => {
      const result = await lookup(
        policy(),
        [
          [
            { address: '93.184.216.34', family: 4 },
            { address: '10.0.0.8', family: 4 },
          ],
        ],
        true,
      );
      expect(result.error?.code).toBe('ERR_DESTINATION_DENIED');
      expect(result.error?.message).toMatch(/hooks\.example\.com → 10\.0\.0\.8 is a private/);
    });

    it('catches a rebinding answer on the connection it would be used for', async () => {
      const sut = policy();
      const answers = [
        [{ address: '93.184.216.34', family: 4 }],
        [{ address: '127.0.0.1', family: 4 }],
      ];
      expect((await lookup(sut, answers)).error).toBeNull();
      const second = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        sut.lookup('hooks.example.com', {}, (error) => resolve(error)),
      );
      expect(second?.message).toMatch(/127\.0\.0\.1 is a loopback/);
    });
  });
});
