import { describe, expect, it } from 'vitest';
import { describeAttempt } from './attempt-description.js';

describe('describeAttempt', () => {
  it('is null for a success', () => {
    expect(describeAttempt({ statusCode: 204, error: null })).toBeNull();
  });

  it('names the status and its reason phrase', () => {
    expect(describeAttempt({ statusCode: 500, error: 'HTTP 500' })).toBe(
      'The receiver answered 500 Internal Server Error',
    );
    expect(describeAttempt({ statusCode: 410, error: 'HTTP 410' })).toBe(
      'The receiver answered 410 Gone',
    );
    expect(describeAttempt({ statusCode: 599, error: 'HTTP 599' })).toBe(
      'The receiver answered 599',
    );
  });

  it('says redirects are not followed', () => {
    expect(
      describeAttempt({
        statusCode: 302,
        error: 'HTTP 302: redirects are not followed (Location: https://x.example/)',
      }),
    ).toBe('Redirects are not followed (302)');
  });

  it('words the errors of an attempt that got no answer', () => {
    const words = (error: string) => describeAttempt({ statusCode: null, error });
    expect(words('connection refused')).toBe('Connection refused');
    expect(words('timed out after 15000 ms')).toBe('No answer within 15 s (DELIVERY_TIMEOUT)');
    expect(words('timed out after 1500 ms')).toBe('No answer within 1.5 s (DELIVERY_TIMEOUT)');
    expect(words('connection reset by the receiver')).toBe(
      'The receiver closed the connection without answering',
    );
    expect(words('host not found')).toBe('The host name does not resolve to an address');
    expect(words('destination denied: 10.0.0.1 is in a private (RFC 1918) range')).toBe(
      'Not sent: the destination is not allowed (10.0.0.1 is in a private (RFC 1918) range; see DELIVERY_ALLOWED_CIDRS)',
    );
    expect(words('webhook is inactive')).toBe('Not sent: the webhook is inactive');
    expect(words('EPROTO: something odd')).toBe('EPROTO: something odd');
    expect(words('socket hang up')).toBe('Socket hang up');
  });
});
