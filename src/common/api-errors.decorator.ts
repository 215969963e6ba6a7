import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiPayloadTooLargeResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from './paging.dto.js';

/** The error answers every API-key route can give. */
export function ApiKeyProtected() {
  return applyDecorators(
    ApiBearerAuth(),
    ApiTooManyRequestsResponse({
      description: 'Over RATE_LIMIT_API for this key; Retry-After says when to come back',
      type: ErrorResponseDto,
      example: {
        statusCode: 429,
        message: 'ThrottlerException: Too Many Requests',
        error: 'Too Many Requests',
      },
    }),
    ApiUnauthorizedResponse({
      description: 'No API key, or a wrong one',
      type: ErrorResponseDto,
      example: { statusCode: 401, message: 'API key is not valid', error: 'Unauthorized' },
    }),
  );
}

export function ApiBadRequest(example: string) {
  return ApiBadRequestResponse({
    description: 'A field is missing, of the wrong type or out of range; `message` names it',
    type: ErrorResponseDto,
    example: { statusCode: 400, message: [example], error: 'Bad Request' },
  });
}

export function ApiNotFound(what: string) {
  return ApiNotFoundResponse({
    description: `No ${what} with this id`,
    type: ErrorResponseDto,
    example: { statusCode: 404, message: `${what} "42" does not exist`, error: 'Not Found' },
  });
}

export function ApiBodyTooLarge() {
  return ApiPayloadTooLargeResponse({
    description: 'The body is over 1 MiB',
    type: ErrorResponseDto,
    example: { statusCode: 413, message: 'body is larger than 1 MiB', error: 'Payload Too Large' },
  });
}
