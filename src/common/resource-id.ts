import { NotFoundException } from '@nestjs/common';

const ID_PATTERN = /^[1-9]\d{0,18}$/;

export function notFound(kind: string, id: string): NotFoundException {
  const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
  return new NotFoundException(`${kind} "${shown}" does not exist`);
}

/** Ids are strings of digits; anything else names no resource (404, never a database error). */
export function checkResourceId(kind: string, id: string): string {
  if (!ID_PATTERN.test(id)) throw notFound(kind, id);
  return id;
}
