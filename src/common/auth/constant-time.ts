import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * A set of secrets (API keys, a token) that a candidate is compared against in constant time:
 * both sides are hashed to equal lengths and every secret is compared, so neither the length nor
 * the position of a match shows in the timing. The secrets' digests are computed once.
 */
export class SecretSet {
  private readonly digests: Buffer[];

  constructor(secrets: readonly string[]) {
    this.digests = secrets.map(digest);
  }

  get empty(): boolean {
    return this.digests.length === 0;
  }

  has(candidate: string): boolean {
    const given = digest(candidate);
    let matched = false;
    for (const secret of this.digests) matched = timingSafeEqual(given, secret) || matched;
    return matched;
  }
}
