import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readKept, utf8Prefix } from './response-body.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('utf8Prefix', () => {
  it('keeps text that fits as it is', () => {
    expect(utf8Prefix('héllo', 6)).toBe('héllo');
    expect(utf8Prefix('', 0)).toBe('');
  });

  it('cuts between characters, counting UTF-8 bytes', () => {
    // é is 2 bytes, 中 3, 😀 4 (a surrogate pair in UTF-16)
    expect(utf8Prefix('aé中😀', 1)).toBe('a');
    expect(utf8Prefix('aé中😀', 2)).toBe('a');
    expect(utf8Prefix('aé中😀', 3)).toBe('aé');
    expect(utf8Prefix('aé中😀', 6)).toBe('aé中');
    expect(utf8Prefix('aé中😀', 9)).toBe('aé中');
    expect(utf8Prefix('aé中😀', 10)).toBe('aé中😀');
    expect(utf8Prefix('😀😀', 7)).toBe('😀');
  });

  it('counts a replacement character as the three bytes it is stored as', () => {
    const replaced = '\ufffd'.repeat(10);
    expect(bytes(utf8Prefix(replaced, 10))).toBe(9);
  });
});

describe('readKept', () => {
  const stream = (...chunks: Buffer[]) => Readable.from(chunks);

  it('keeps a short answer whole', async () => {
    expect(await readKept(stream(Buffer.from('ok 😀')), 1024, 1024)).toEqual({
      text: 'ok 😀',
      truncated: false,
    });
  });

  it('cuts a long multi-byte answer at the byte cap, on a whole character, and says so', async () => {
    const body = Buffer.from('😀中'.repeat(20_000));
    const chunks = [body.subarray(0, 1001), body.subarray(1001, 5003), body.subarray(5003)];
    const sut = await readKept(stream(...chunks), 4099, 65_536);
    expect(sut.truncated).toBe(true);
    expect(bytes(sut.text)).toBeLessThanOrEqual(4099);
    expect(bytes(sut.text)).toBeGreaterThan(4099 - 4);
    expect(body.toString('utf8').startsWith(sut.text)).toBe(true);
    expect(sut.text).not.toContain('\ufffd');
  });

  it('keeps invalid bytes as replacement characters within the cap', async () => {
    const sut = await readKept(stream(Buffer.alloc(100, 0xff)), 50, 1024);
    expect(sut.truncated).toBe(true);
    expect(bytes(sut.text)).toBeLessThanOrEqual(50);
    expect(sut.text).toBe('\ufffd'.repeat(16));
  });

  it('keeps nothing with a cap of 0 and says the answer was cut', async () => {
    expect(await readKept(stream(Buffer.from('x')), 0, 0)).toEqual({ text: '', truncated: true });
    expect(await readKept(stream(), 0, 0)).toEqual({ text: '', truncated: false });
  });
});
