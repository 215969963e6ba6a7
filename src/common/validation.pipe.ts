import {
  type ArgumentMetadata,
  BadRequestException,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';

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
    const type = metadata.metatype as object | undefined;
    if (type && Reflect.getMetadata(ACCEPTS_UNKNOWN_FIELDS, type) === true) {
      return this.lenient.transform(value, metadata) as Promise<unknown>;
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}
