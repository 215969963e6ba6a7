import { Transform } from 'class-transformer';
import {
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { parseEventList } from './event-list.js';

export const MAX_URI_LENGTH = 2048;

/** An absolute http(s) URL of at most 2048 characters, by the WHATWG URL parser Node uses to send. */
export function checkHttpUrl(value: unknown, field: string): string | undefined {
  if (typeof value !== 'string') return `${field} must be a string`;
  if (value.length > MAX_URI_LENGTH) return `${field} must be at most ${MAX_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${field} must be an absolute http or https URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${field} must use the http or https scheme`;
  }
  if (url.hostname === '') return `${field} must name a host`;
  return undefined;
}

/** A property judged by `check`, which answers why a value is refused (naming the field), or undefined. */
export function CheckedBy(
  name: string,
  check: (value: unknown, field: string) => string | undefined,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          check(value, args.property) === undefined,
        defaultMessage: (args: ValidationArguments) =>
          check(args.value, args.property) ?? `${args.property} is not valid`,
      },
    });
}

/**
 * A whole number in [min, max], refused with one message that says what is wrong with it (not
 * "must be an integer" beside range messages that a fraction inside the range does not break).
 */
export function IsIntegerIn(min: number, max: number): PropertyDecorator {
  return CheckedBy('isIntegerIn', (value, field) => {
    if (typeof value !== 'number' || !Number.isInteger(value))
      return `${field} must be an integer number`;
    if (value < min) return `${field} must not be less than ${min}`;
    if (value > max) return `${field} must not be greater than ${max}`;
    return undefined;
  });
}

export function IsHttpUrl(options?: ValidationOptions) {
  return CheckedBy('isHttpUrl', checkHttpUrl, options);
}

/** `"all"`, `"a,b"` or `["a","b"]` of known event names (see parseEventList). */
export function IsEventList(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isEventList',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          parseEventList(value, args.property).ok,
        defaultMessage: (args: ValidationArguments) => {
          const result = parseEventList(args.value, args.property);
          return result.ok ? `${args.property} is not valid` : result.message;
        },
      },
    });
}

/**
 * Hands the service the parsed subscription (`EventSubscription[]`) for a valid event list; an
 * invalid one is left as it came, for IsEventList to refuse with the name at fault.
 */
export function ToEventList(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    const result = parseEventList(value);
    return result.ok ? result.events : value;
  });
}

/** Refuses an object that sets none of `fields` (e.g. an update that changes nothing). */
export function AtLeastOneOf(fields: readonly string[]): ClassDecorator {
  const message = `body must set at least one of ${fields.join(', ')}`;
  return (target) =>
    registerDecorator({
      name: 'atLeastOneOf',
      target,
      // A property no request carries, so the whole object is what is checked.
      propertyName: '__atLeastOneOf',
      validator: {
        validate: (_value: unknown, args: ValidationArguments) =>
          fields.some((field) => (args.object as Record<string, unknown>)[field] !== undefined),
        defaultMessage: () => message,
      },
    });
}
