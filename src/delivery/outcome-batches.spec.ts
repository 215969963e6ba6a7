import { describe, expect, it } from 'vitest';
import { batchLength, batchLimits, fitOutcome, outcomeBytes } from './outcome-batches.js';

const KIB = 1024;
const texts = (responseBody: string | null, error: string | null = null) => ({
  responseBody,
  requestHeaders: null,
  responseHeaders: null,
  error,
});

describe('outcomeBytes', () => {
  it('bounds the UTF-8 bytes by three per UTF-16 unit, twice over for escaping, the error in both statements', () => {
    const small = outcomeBytes(texts(''), 1024);
    expect(outcomeBytes(texts('abc'), 1024) - small).toBe(18);
    // U+FFFD (what an invalid byte of an answer becomes) is three bytes: the bound is exact.
    expect(outcomeBytes(texts('\ufffd'.repeat(10)), 1024) - small).toBe(60);
    // A pair of surrogates: four bytes, under the bound of six.
    expect(outcomeBytes(texts('😀'), 1024) - small).toBe(12);
    expect(outcomeBytes(texts('', 'x'.repeat(2000)), 1024) - small).toBe(12 * 1024);
  });
});

describe('batchLimits', () => {
  it('keeps a quarter of the packet spare and room for the rest of the transaction', () => {
    const sut = batchLimits({ maxBytes: 16 * 1024 * KIB, maxVariables: Infinity }, 500);
    expect(sut.maxBytes).toBe(12 * 1024 * KIB - 16 * KIB);
    expect(sut.maxCount).toBe(500);
  });

  it('takes fewer outcomes when the bound values would pass the limit (SQLite)', () => {
    expect(batchLimits({ maxBytes: 1e9, maxVariables: 32_766 }, 5000).maxCount).toBe(2972);
    expect(batchLimits({ maxBytes: 1e9, maxVariables: 10 }, 500).maxCount).toBe(1);
  });
});

describe('batchLength', () => {
  const limits = { maxBytes: 1000, maxCount: 3 };

  it('takes outcomes in order while their bytes fit', () => {
    expect(batchLength([400, 400, 400], limits)).toBe(2);
    expect(batchLength([400, 600, 1], limits)).toBe(2);
    expect(batchLength([100, 100], limits)).toBe(2);
  });

  it('stops at the count', () => {
    expect(batchLength([1, 1, 1, 1, 1], limits)).toBe(3);
  });

  it('takes one alone even when it is too large, never none', () => {
    expect(batchLength([5000, 1], limits)).toBe(1);
    expect(batchLength([], limits)).toBe(0);
  });
});

describe('fitOutcome', () => {
  it('leaves an outcome that fits as it is', () => {
    const result = texts('x'.repeat(100));
    expect(fitOutcome(result, 10 * KIB, 1024)).toBe(result);
  });

  it("cuts the answer's body of one too large, on a character boundary, until it fits", () => {
    const result = { ...texts('\ufffd'.repeat(64 * KIB), 'HTTP 200'), statusCode: 200 };
    const sut = fitOutcome(result, 100 * KIB, 1024);
    expect(outcomeBytes(sut, 1024)).toBeLessThanOrEqual(100 * KIB);
    expect(outcomeBytes(sut, 1024)).toBeGreaterThan(100 * KIB - 12);
    expect(sut.responseBody).toMatch(/^\ufffd+$/);
    expect(result.responseBody!.startsWith(sut.responseBody!)).toBe(true);
    expect(sut).toMatchObject({ statusCode: 200, error: 'HTTP 200' });
  });

  it('cuts an ASCII body by its real bytes', () => {
    const result = texts('x'.repeat(64 * KIB));
    const sut = fitOutcome(result, 20 * KIB, 1024);
    expect(sut.responseBody).toHaveLength((20 * KIB - outcomeBytes(texts(''), 1024)) / 2);
  });

  it('keeps an outcome without a body whole', () => {
    const result = texts(null, 'x'.repeat(1024));
    expect(fitOutcome(result, 10, 1024)).toBe(result);
  });
});
