import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * True when `candidate` equals one of `secrets`. Both sides are hashed to equal lengths and every
 * secret is compared, so neither the length nor the position of a match shows in the timing.
 */
export function matchesAnySecret(candidate: string, secrets: readonly string[]): boolean {
  const given = digest(candidate);
  let matched = false;
  for (const secret of secrets) {
    matched = timingSafeEqual(given, digest(secret)) || matched;
  }
  return matched;
}
