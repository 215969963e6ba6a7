import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** What the log keeps of an answer's body. */
export interface KeptBody {
  text: string;
  /** The answer was longer than what is kept. */
  truncated: boolean;
}

/**
 * Reads an answer's body, keeping its first `keepBytes` bytes as text that is at most `keepBytes`
 * bytes of UTF-8 and ends on a whole character; the rest is read and dropped up to `drainBytes`
 * in all (so the connection can be used again), then the stream is let go (and the connection
 * with it).
 */
export async function readKept(
  body: Readable,
  keepBytes: number,
  drainBytes: number,
): Promise<KeptBody> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  try {
    // Leaving the loop early destroys the stream, and with it the connection.
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (kept < keepBytes) {
        const part = chunk.subarray(0, keepBytes - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (total > Math.max(drainBytes, keepBytes)) break;
    }
  } catch (error) {
    // What arrived before a reset is still worth keeping for the log.
    if (total === 0) throw error;
  }
  const truncated = total > keepBytes;
  const decoder = new StringDecoder('utf8');
  const raw = Buffer.concat(chunks);
  // Cut short, a character split at the end is left out rather than replaced.
  const text = truncated ? decoder.write(raw) : decoder.end(raw);
  return { text: utf8Prefix(text, keepBytes), truncated };
}

/**
 * The longest start of `text` whose UTF-8 form is at most `maxBytes` bytes, cut between
 * characters (never inside a surrogate pair). Bytes that were not UTF-8 are U+FFFD by now, three
 * bytes each, so decoded text can be longer than the bytes it came from.
 */
export function utf8Prefix(text: string, maxBytes: number): string {
  // Every UTF-16 unit is at most three bytes of UTF-8.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}
