import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SRS_HOOK_PATH = '/v1/ingest/srs';

export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/** @nestjs/terminus's answer: {status, info, error, details}. */
export interface HealthReport {
  status: string;
  details: Record<string, unknown>;
}

function isHealthReport(response: unknown): response is HealthReport {
  return (
    typeof response === 'object' &&
    response !== null &&
    'status' in response &&
    'details' in response
  );
}

/** Client errors raised by Fastify itself (body parsing, size limits) carry their own 4xx status. */
interface FastifyClientError {
  statusCode: number;
  code?: string;
  message: string;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  const candidate = error as Partial<FastifyClientError> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500 &&
    typeof candidate.code === 'string' &&
    candidate.code.startsWith('FST_')
  );
}

/** Describes a Fastify client error in the service's own words, naming the part at fault. */
function describeFastifyError(error: FastifyClientError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body is larger than 1 MiB';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'body has an unsupported Content-Type; send application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body is empty but Content-Type is application/json';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case undefined:
    default:
      if (error instanceof SyntaxError || /JSON/i.test(error.message))
        return 'body is not valid JSON';
      return error.message;
  }
}

/**
 * Answers every error as {statusCode, message, error}. Unexpected errors are logged with their
 * stack and answered as a plain 500 that reveals nothing of the internals.
 */
export function toErrorBody(exception: unknown, logger: Logger): ErrorBody | HealthReport {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // A failed readiness check answers the health report itself: it names the failing checks.
    if (isHealthReport(response)) return response;
    if (typeof response === 'string') {
      return { statusCode: status, message: response, error: reasonPhrase(status) };
    }
    const body = response as Partial<ErrorBody>;
    return {
      statusCode: status,
      message: body.message ?? exception.message,
      error: typeof body.error === 'string' ? body.error : reasonPhrase(status),
    };
  }
  if (isFastifyClientError(exception)) {
    return {
      statusCode: exception.statusCode,
      message: describeFastifyError(exception),
      error: reasonPhrase(exception.statusCode),
    };
  }
  const error = exception instanceof Error ? exception : new Error(String(exception));
  logger.error(`Unexpected error: ${error.message}`, error.stack);
  return {
    statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
    message: 'Internal server error',
    error: reasonPhrase(500),
  };
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const body = toErrorBody(exception, this.logger);
    if (reply.sent) return;
    // SRS allows only a body whose `code` is 0: give its denials a non-zero one.
    const status =
      'statusCode' in body
        ? body.statusCode
        : exception instanceof HttpException
          ? exception.getStatus()
          : 500;
    const srs = http.getRequest<FastifyRequest>().url.startsWith(SRS_HOOK_PATH);
    const retryAfter = (exception as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('Retry-After', String(retryAfter));
    // A route may have set another content type (text/plain for /metrics): errors are JSON.
    void reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(srs ? { code: status, ...body } : body);
  }
}
