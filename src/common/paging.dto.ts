import { applyDecorators, type Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, Matches } from 'class-validator';
import { IsIntegerIn } from './validators.js';

/** Query strings carry text: turn whole numbers into numbers, leave anything else for IsIntegerIn to refuse. */
export const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\s*-?\d{1,16}\s*$/.test(value) ? Number(value) : value;

export const MAX_PAGE_LENGTH = 100;

export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Zero-based page number',
    default: 0,
    minimum: 0,
    example: 0,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsIntegerIn(0, 2_147_483_647)
  page: number = 0;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Items per page',
    default: 10,
    minimum: 1,
    maximum: MAX_PAGE_LENGTH,
    example: 10,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsIntegerIn(1, MAX_PAGE_LENGTH)
  length: number = 10;
}

/**
 * `before`, the cursor of a list newest first: only items with a smaller id (the `nextCursor` of
 * the page before).
 */
export function CursorBefore(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: 'Only those with a smaller id: the `nextCursor` of the previous page',
      pattern: '^[1-9][0-9]{0,18}$',
    }),
    IsOptional(),
    Matches(/^[1-9]\d{0,18}$/, {
      message: 'before must be an id (digits): the nextCursor of the previous page',
    }),
  );
}

export interface Page<T> {
  data: T[];
  total: number;
  length: number;
  page: number;
}

/** The documented answer class of a paged list of `item`: {data, total, length, page}. */
export function PageOf<T>(item: Type<T>, name: string): Type<Page<T>> {
  class PageDto implements Page<T> {
    @ApiProperty({ type: [item] })
    data: T[];

    @ApiProperty({
      type: 'integer',
      description: 'Items matching the query, all pages',
      example: 1,
    })
    total: number;

    @ApiProperty({ type: 'integer', description: 'Items on this page', example: 1 })
    length: number;

    @ApiProperty({ type: 'integer', description: 'This page number', example: 0 })
    page: number;
  }
  Object.defineProperty(PageDto, 'name', { value: name });
  return PageDto;
}

export function toPage<T>(data: T[], total: number, query: PageQueryDto): Page<T> {
  return { data, total, length: data.length, page: query.page };
}

export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['uri must be an http or https URL'],
  })
  message: string | string[];

  @ApiProperty({ example: 'Bad Request' })
  error: string;
}

export class EmptyResponseDto {}
