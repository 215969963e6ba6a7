import { randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form). */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** Why a caller-chosen secret is unacceptable, or undefined when it is `whsec_` + base64 of 24–64 bytes. */
export function checkWebhookSecret(value: unknown, field = 'secret'): string | undefined {
  const problem = `${field} must be "whsec_" followed by the base64 of 24 to 64 random bytes`;
  if (typeof value !== 'string' || !value.startsWith(SECRET_PREFIX)) return problem;
  const encoded = value.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return problem;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded || bytes.length < 24 || bytes.length > 64)
    return problem;
  return undefined;
}
