import { describe, expect, it } from 'vitest';
import { checkWebhookSecret, generateWebhookSecret } from './webhook-secret.js';

describe('webhook secrets', () => {
  it('generates whsec_ + base64 of 32 random bytes, different each time', () => {
    const sut = generateWebhookSecret();
    expect(sut).toMatch(/^whsec_/);
    expect(Buffer.from(sut.slice(6), 'base64')).toHaveLength(32);
    expect(checkWebhookSecret(sut)).toBeUndefined();
    expect(generateWebhookSecret()).not.toBe(sut);
  });

  it.each([24, 32, 64])('accepts a caller secret of %i bytes', (bytes) => {
    expect(
      checkWebhookSecret(`whsec_${Buffer.alloc(bytes, 1).toString('base64')}`),
    ).toBeUndefined();
  });

  it.each([
    `whsec_${Buffer.alloc(23, 1).toString('base64')}`,
    `whsec_${Buffer.alloc(65, 1).toString('base64')}`,
    Buffer.alloc(32, 1).toString('base64'),
    'whsec_not base64!',
    'whsec_AAAA=A',
    undefined,
  ])('refuses %j', (secret) => {
    expect(checkWebhookSecret(secret)).toContain('whsec_');
  });
});
