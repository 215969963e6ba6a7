import { STATUS_CODES } from 'node:http';

/** What went wrong, in the service's own terms; the exception filter maps each to one HTTP status. */
export enum ErrorCode {
  Invalid = 'invalid',
  NotFound = 'not_found',
  Conflict = 'conflict',
  Forbidden = 'forbidden',
  RateLimited = 'rate_limited',
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.Invalid]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.RateLimited]: 429,
};

/** An error services raise; the caller's mistake or a refused request, never a fault. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string | string[],
    /** For RateLimited: when to come back (answered as Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(Array.isArray(detail) ? detail.join('; ') : detail);
    this.name = 'DomainError';
  }
}

export function notFound(kind: string, id: string): DomainError {
  const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
  return new DomainError(ErrorCode.NotFound, `${kind} "${shown}" does not exist`);
}

/** A field-level refusal: `message` is a list naming the field, as the validation pipe answers. */
export function invalid(problem: string): DomainError {
  return new DomainError(ErrorCode.Invalid, [problem]);
}

export function conflict(message: string): DomainError {
  return new DomainError(ErrorCode.Conflict, message);
}

/** The standard reason phrase of a status, e.g. "Not Found". */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}
