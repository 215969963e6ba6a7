import {
  type ArgumentMetadata,
  BadRequestException,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { UnreadableBody } from './json-body.js';

const ACCEPTS_UNKNOWN_FIELDS = Symbol('accepts-unknown-fields');

/**
 * For bodies that other programs write in their own formats (media-server hooks): fields the DTO
 * does not declare are dropped instead of refused, since those programs add fields between versions.
 */
export function AcceptsUnknownFields(): ClassDecorator {
  return (target) => Reflect.defineMetadata(ACCEPTS_UNKNOWN_FIELDS, true, target);
}

function flattenErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const own = Object.values(error.constraints ?? {}).map((message) => `${prefix}${message}`);
    return [...own, ...flattenErrors(error.children ?? [], `${prefix}${error.property}.`)];
  });
}

/** No request of this API nests anywhere near this deep. */
const MAX_NESTING = 32;

/** Iterative (a recursive check would have the very problem it guards against). */
function nestingDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Keys Nest's ValidationPipe deletes without a word (against prototype pollution). Refused
 * instead, so nothing a caller set is silently lost (e.g. a webhook header of that name).
 */
const STRIPPED_KEYS = new Set(['constructor', 'prototype']);

function strippedKeyIn(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    for (const [key, child] of Object.entries(current)) {
      if (!Array.isArray(current) && STRIPPED_KEYS.has(key)) return key;
      stack.push(child);
    }
  }
  return undefined;
}

/** Optional, but when given not null: for fields whose column cannot hold a null. */
export function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

const OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new BadRequestException(flattenErrors(errors)),
};

/** The global pipe: whitelist, refuse unknown fields (unless the DTO accepts them), transform. */
export class AppValidationPipe extends ValidationPipe {
  private readonly lenient = new ValidationPipe({ ...OPTIONS, forbidNonWhitelisted: false });

  constructor() {
    super(OPTIONS);
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (value instanceof UnreadableBody) throw new BadRequestException(value.problem);
    // class-transformer recurses: a deep enough body would exhaust the stack (a 500).
    if (nestingDepthExceeds(value, MAX_NESTING)) {
      throw new BadRequestException([
        `${metadata.type} is nested more than ${MAX_NESTING} levels deep`,
      ]);
    }
    const type = metadata.metatype as object | undefined;
    if (type && Reflect.getMetadata(ACCEPTS_UNKNOWN_FIELDS, type) === true) {
      return this.lenient.transform(value, metadata) as Promise<unknown>;
    }
    const stripped = strippedKeyIn(value);
    if (stripped !== undefined) {
      throw new BadRequestException([`${metadata.type} may not use the key "${stripped}"`]);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}
