import type { FastifyBodyParser, FastifyInstance } from 'fastify';

/**
 * A JSON body that could not be read. The parser hands it on instead of failing the request, so
 * the request is authenticated first and the refusal (400) comes from the validation pipe of the
 * route that wanted a body, inside that route's own exception filters.
 */
export class UnreadableBody {
  constructor(readonly problem: string) {}
}

/** Describes a body-reading error of Fastify's in the service's own words. */
export function describeBodyError(error: { code?: string; message: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body is larger than 1 MiB';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'body has an unsupported Content-Type; send application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body is empty but Content-Type is application/json';
    default:
      if (error instanceof SyntaxError || /JSON/i.test(error.message))
        return 'body is not valid JSON';
      return error.message;
  }
}

/** Fastify's own JSON parser (prototype poisoning refused), with failures handed on as UnreadableBody. */
export function deferredJsonParser(instance: FastifyInstance): FastifyBodyParser<Buffer> {
  const strict = instance.getDefaultJsonParser('error', 'error');
  // Fastify's own parser reads buffers as well as strings.
  return (request, body, done) =>
    strict(request, body as unknown as string, (error: Error | null, value?: unknown) =>
      done(null, error ? new UnreadableBody(describeBodyError(error)) : value),
    );
}
