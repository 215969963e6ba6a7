import { randomBytes } from 'node:crypto';

/** 192 random bits, URL-safe (base64url, 32 characters): fits an RTMP URL as it is. */
export function generateStreamKey(): string {
  return randomBytes(24).toString('base64url');
}
