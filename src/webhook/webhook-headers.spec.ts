import { describe, expect, it } from 'vitest';
import {
  checkWebhookHeaders,
  maskedHeaders,
  readStoredHeaders,
  storedHeaders,
} from './webhook-headers.js';

const many = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-Header-${i}`, 'v']));

describe('webhook headers', () => {
  it.each([
    {},
    { Authorization: 'Bearer abc.def-ghi' },
    { "x-a!#$%&'*+-.^_`|~9": 'a\tb c' },
    { toString: 'x', hasOwnProperty: 'y' },
    { 'X-Empty': '' },
    { 'X-Long': 'v'.repeat(4096), 'X-Other': 'v'.repeat(4000) },
    many(20),
  ])('accepts %j', (headers) => {
    expect(checkWebhookHeaders(headers)).toBeUndefined();
  });

  it.each([
    [null, 'headers must be an object'],
    [['Authorization', 'x'], 'headers must be an object'],
    ['Authorization: x', 'headers must be an object'],
    [many(21), 'at most 20 entries'],
    [{ 'Bad Name': 'x' }, 'invalid header name "Bad Name"'],
    [{ 'X-Ä': 'x' }, 'invalid header name'],
    [{ '': 'x' }, 'invalid header name ""'],
    [{ ['x'.repeat(257)]: 'x' }, 'longer than 256'],
    [{ 'Webhook-Signature': 'v1,x' }, 'may not set "Webhook-Signature": webhook-*'],
    [{ 'webhook-anything': 'x' }, 'webhook-*'],
    [{ 'Content-Type': 'text/plain' }, 'may not set "Content-Type": the service sets it'],
    [{ 'content-length': '1' }, 'the service sets it'],
    [{ Host: 'example.com' }, 'the service sets it'],
    [{ 'User-Agent': 'x' }, 'the service sets it'],
    [{ Connection: 'close' }, 'hop-by-hop'],
    [{ 'Transfer-Encoding': 'chunked' }, 'hop-by-hop'],
    [{ TE: 'trailers' }, 'hop-by-hop'],
    [{ Upgrade: 'h2c' }, 'hop-by-hop'],
    [{ 'Keep-Alive': 'timeout=5' }, 'hop-by-hop'],
    [{ 'Proxy-Authorization': 'x' }, 'hop-by-hop'],
    [{ Expect: '100-continue' }, 'hop-by-hop'],
    [{ 'X-Key': 'a', 'x-key': 'b' }, 'names "X-Key" and "x-key": header names ignore case'],
    [{ 'X-Key': 5 }, 'headers.X-Key must be a string'],
    [{ 'X-Key': null }, 'headers.X-Key must be a string'],
    [{ 'X-Key': ['a'] }, 'headers.X-Key must be a string'],
    [{ 'X-Key': 'a\r\nX-Injected: 1' }, 'headers.X-Key must be visible ASCII'],
    [{ 'X-Key': 'a\nb' }, 'visible ASCII'],
    [{ 'X-Key': 'a\0b' }, 'visible ASCII'],
    [{ 'X-Key': 'caf\u00e9' }, 'visible ASCII'],
    [{ 'X-Key': ' padded' }, 'visible ASCII'],
    [{ 'X-Key': 'padded\t' }, 'visible ASCII'],
    [{ 'X-Key': 'v'.repeat(4097) }, 'headers.X-Key must be at most 4096 characters'],
    [{ 'X-A': 'v'.repeat(4096), 'X-B': 'v'.repeat(4096) }, 'at most 8192 characters in all'],
  ])('refuses %j, naming the problem', (headers, problem) => {
    expect(checkWebhookHeaders(headers)).toContain(problem);
  });

  it('stores JSON text, or null for none, and reads it back', () => {
    expect(storedHeaders(undefined)).toBeNull();
    expect(storedHeaders(null)).toBeNull();
    expect(storedHeaders({})).toBeNull();
    const sut = storedHeaders({ Authorization: 'Bearer x', 'X-Tenant': 't1' });
    expect(readStoredHeaders(sut)).toEqual({ Authorization: 'Bearer x', 'X-Tenant': 't1' });
    expect(readStoredHeaders(null)).toEqual({});
  });

  it('reads a hand-edited column as far as it is valid, and never a reserved name', () => {
    expect(readStoredHeaders('not json')).toEqual({});
    expect(readStoredHeaders('["a"]')).toEqual({});
    expect(
      readStoredHeaders('{"X-Ok":"1","X-Number":2,"Bad Name":"x","Webhook-Id":"y","Host":"h"}'),
    ).toEqual({ 'X-Ok': '1' });
  });

  it('masks every value', () => {
    expect(maskedHeaders(['Authorization', 'X-Tenant'])).toEqual({
      Authorization: '********',
      'X-Tenant': '********',
    });
  });
});
