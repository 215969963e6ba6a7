import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { PageQueryDto, toPage } from './paging.dto.js';

const check = (query: Record<string, unknown>) => {
  const sut = plainToInstance(PageQueryDto, query);
  return { sut, errors: validateSync(sut).map((error) => error.property) };
};

describe('PageQueryDto', () => {
  it('defaults to page 0 of 10', () => {
    expect(check({})).toEqual({
      sut: expect.objectContaining({ page: 0, length: 10 }),
      errors: [],
    });
  });

  it.each([
    [{ page: '0', length: '1' }, 0, 1],
    [{ page: '3', length: '100' }, 3, 100],
    [{ page: '2147483647' }, 2147483647, 10],
  ])('accepts %j', (query, page, length) => {
    const { sut, errors } = check(query);
    expect(errors).toEqual([]);
    expect(sut).toMatchObject({ page, length });
  });

  it.each([
    [{ page: '-1' }, 'page'],
    [{ page: '1.5' }, 'page'],
    [{ page: 'abc' }, 'page'],
    [{ page: '' }, 'page'],
    [{ page: '2147483648' }, 'page'],
    [{ page: ['1', '2'] }, 'page'],
    [{ length: '0' }, 'length'],
    [{ length: '101' }, 'length'],
    [{ length: '1e2' }, 'length'],
  ])('refuses %j (never clamps)', (query, field) => {
    expect(check(query).errors).toEqual([field]);
  });
});

describe('toPage', () => {
  it('reports the page length, the total and the page number', () => {
    expect(toPage(['a', 'b'], 12, { page: 1, length: 10 })).toEqual({
      data: ['a', 'b'],
      total: 12,
      length: 2,
      page: 1,
    });
  });
});
