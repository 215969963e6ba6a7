import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { SECURITY_SCHEMES } from './auth/auth.decorators.js';
import { ErrorResponseDto } from './paging.dto.js';

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' },
  },
};

/** An error answer's documentation: the shared error schema with an example of this one. */
function errorAnswer(statusCode: number, error: string, message: string | string[]) {
  return { type: ErrorResponseDto, example: { statusCode, message, error } };
}

/** 503 while the database cannot be reached: every route that reads or writes it can answer it. */
function ApiDatabaseUnavailable() {
  return ApiServiceUnavailableResponse({
    description: 'The database is unreachable for now; Retry-After says when to try again',
    headers: RETRY_AFTER,
    ...errorAnswer(503, 'Service Unavailable', 'The database is unreachable; try again shortly'),
  });
}

/**
 * 503 while the database cannot be reached, and 500 for a fault of the service's own (logged
 * with its stack; the answer reveals nothing of it).
 */
export function ApiServerErrors() {
  return applyDecorators(
    ApiDatabaseUnavailable(),
    ApiInternalServerErrorResponse({
      description: 'A fault of the service; its log has the details',
      ...errorAnswer(500, 'Internal Server Error', 'Internal server error'),
    }),
  );
}

/** The answers every API-key route can give: 401, 429, 500 and 503. */
export function ApiKeyProtected() {
  return applyDecorators(
    ApiBearerAuth(SECURITY_SCHEMES.apiKey),
    ApiUnauthorizedResponse({
      description: 'No API key, or a wrong one',
      ...errorAnswer(401, 'Unauthorized', 'API key is not valid'),
    }),
    ApiTooManyRequestsResponse({
      description: 'Over RATE_LIMIT_API for this key; Retry-After says when to come back',
      headers: RETRY_AFTER,
      ...errorAnswer(429, 'Too Many Requests', 'ThrottlerException: Too Many Requests'),
    }),
    ApiServerErrors(),
  );
}

export function ApiBadRequest(example: string) {
  return ApiBadRequestResponse({
    description: 'A field is missing, of the wrong type or out of range; `message` names it',
    ...errorAnswer(400, 'Bad Request', [example]),
  });
}

export function ApiNotFound(what: string) {
  return ApiNotFoundResponse({
    description: `No ${what} with this id`,
    ...errorAnswer(404, 'Not Found', `${what} "42" does not exist`),
  });
}

/**
 * What any POST or PUT can be refused for before its handler runs: a body over 1 MiB (413), or
 * one in a type the route does not read (415). A route that takes no body ignores an empty one,
 * whatever its Content-Type.
 */
export function ApiBodyRefusals(types = 'application/json') {
  return applyDecorators(
    ApiPayloadTooLargeResponse({
      description: 'The body is over 1 MiB',
      ...errorAnswer(413, 'Payload Too Large', 'body is larger than 1 MiB'),
    }),
    ApiUnsupportedMediaTypeResponse({
      description: `The body is not ${types}`,
      ...errorAnswer(
        415,
        'Unsupported Media Type',
        'body must be sent as Content-Type: application/json',
      ),
    }),
  );
}
