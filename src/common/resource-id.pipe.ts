import { Injectable, type PipeTransform } from '@nestjs/common';
import { notFound } from './errors.js';

const ID_PATTERN = /^[1-9]\d{0,18}$/;

/** Ids are strings of digits; anything else names no resource (404, never a database error). */
@Injectable()
export class ResourceIdPipe implements PipeTransform<string, string> {
  constructor(private readonly kind: string) {}

  transform(value: string): string {
    if (!ID_PATTERN.test(value)) throw notFound(this.kind, value);
    return value;
  }
}
