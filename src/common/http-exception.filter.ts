import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { databaseStatus } from '../database/database-status.js';
import { DomainError, HTTP_STATUS, reasonPhrase } from './errors.js';
import { describeBodyError } from './json-body.js';

export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}

export interface ErrorAnswer {
  body: ErrorBody;
  /** Seconds for a Retry-After header. */
  retryAfterSeconds?: number;
}

/** Client errors raised by Fastify itself (body parsing, size limits) carry their own 4xx status. */
interface FastifyClientError {
  statusCode: number;
  code: string;
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

/** What a client is told to wait while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Every error as {statusCode, message, error}: domain errors by their code, HTTP exceptions by
 * their status, Fastify's client errors in the service's words, an unreachable database as 503
 * with Retry-After. Anything else is a fault: logged with its stack and answered as a plain 500
 * that reveals nothing of the internals.
 */
export function toErrorAnswer(exception: unknown, logger: Logger): ErrorAnswer {
  if (exception instanceof DomainError) {
    const statusCode = HTTP_STATUS[exception.code];
    return {
      body: { statusCode, message: exception.detail, error: reasonPhrase(statusCode) },
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'string') {
      return { body: { statusCode, message: response, error: reasonPhrase(statusCode) } };
    }
    const body = response as Partial<ErrorBody>;
    return {
      body: {
        statusCode,
        message: body.message ?? exception.message,
        error: typeof body.error === 'string' ? body.error : reasonPhrase(statusCode),
      },
    };
  }
  if (isFastifyClientError(exception)) {
    const { statusCode } = exception;
    return {
      body: { statusCode, message: describeBodyError(exception), error: reasonPhrase(statusCode) },
    };
  }
  if (databaseStatus.failed(exception)) {
    // A pause, not a fault: logged once for the whole outage (see DatabaseStatus).
    const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
    return {
      body: {
        statusCode,
        message: 'The database is unreachable; try again shortly',
        error: reasonPhrase(statusCode),
      },
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  const error = exception instanceof Error ? exception : new Error(String(exception));
  logger.error(`Unexpected error: ${error.message}`, error.stack);
  const statusCode = HttpStatus.INTERNAL_SERVER_ERROR;
  return {
    body: { statusCode, message: 'Internal server error', error: reasonPhrase(statusCode) },
  };
}

/** Sends an error answer as JSON (a route may have set another content type, e.g. /metrics). */
export function sendErrorAnswer(reply: FastifyReply, answer: ErrorAnswer, body: object): void {
  // Fastify's reply, or Express's response in a host app
  if (reply.sent || (reply as { headersSent?: boolean }).headersSent === true) return;
  if (answer.retryAfterSeconds !== undefined) {
    void reply.header('Retry-After', String(answer.retryAfterSeconds));
  }
  void reply
    .status(answer.body.statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .send(body);
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const answer = toErrorAnswer(exception, this.logger);
    sendErrorAnswer(host.switchToHttp().getResponse<FastifyReply>(), answer, answer.body);
  }
}
