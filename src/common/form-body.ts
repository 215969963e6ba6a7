import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiConsumes } from '@nestjs/swagger';
import { Transform } from 'class-transformer';

export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** The key of a Fastify route's config that lets a route take form bodies besides JSON. */
const TAKES_FORM_BODY = 'takesFormBody';

/**
 * The route takes `application/x-www-form-urlencoded` bodies as well as JSON: the fields of the
 * body's DTO, every value a string (see FormBoolean and FormNumber for the others).
 */
export function TakesFormBody(): MethodDecorator {
  return applyDecorators(
    RouteConfig({ [TAKES_FORM_BODY]: true }),
    ApiConsumes('application/json', FORM_TYPE),
  );
}

/** Whether a route (by its Fastify route config) takes form bodies. */
export function takesFormBody(routeConfig: object | undefined): boolean {
  return (routeConfig as Record<string, unknown> | undefined)?.[TAKES_FORM_BODY] === true;
}

/** The media type of a Content-Type header, lower-cased, without its parameters. */
export function mediaTypeOf(contentType: string | string[] | undefined): string {
  return String(contentType ?? '')
    .split(';')[0]
    .trimEnd()
    .toLowerCase();
}

/**
 * The bodies that came as forms. A form's values are all strings, so the DTO fields that are not
 * strings convert them; the same strings in a JSON body are the caller's mistake, refused as such.
 */
const formBodies = new WeakSet<object>();

export function markFormBody(body: unknown): void {
  if (typeof body === 'object' && body !== null) formBodies.add(body);
}

/** A form's `true` / `false` as a boolean; anything else is left for the validators to refuse. */
export function FormBoolean(): PropertyDecorator {
  return Transform(({ value, obj }: { value: unknown; obj: object }) => {
    if (!formBodies.has(obj)) return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    return value;
  });
}

/**
 * A form's number (`50`, `-1`, `1.5`) as a number, for the validators to judge, and an empty value
 * as null; anything else is left for the validators to refuse.
 */
export function FormNumber(): PropertyDecorator {
  return Transform(({ value, obj }: { value: unknown; obj: object }) => {
    if (!formBodies.has(obj) || typeof value !== 'string') return value;
    if (value === '') return null;
    return /^-?\d+(?:\.\d+)?$/.test(value) ? Number(value) : value;
  });
}

/**
 * A form's list: comma-separated, or the field repeated (each value may hold commas too), blanks
 * trimmed and dropped; an empty value is null. JSON bodies give an array or null as they are.
 */
export function FormList(): PropertyDecorator {
  return Transform(({ value, obj }: { value: unknown; obj: object }) => {
    if (!formBodies.has(obj)) return value;
    const values = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values) || !values.every((item) => typeof item === 'string')) return value;
    const items = values.flatMap((item: string) => item.split(',').map((part) => part.trim()));
    const given = items.filter((item) => item !== '');
    return given.length === 0 ? null : given;
  });
}
