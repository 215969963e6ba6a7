import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { sendErrorAnswer, toErrorAnswer } from '../../common/http-exception.filter.js';

/**
 * SRS allows a publisher only on an HTTP 200 whose body's `code` is 0: its hook's refusals carry
 * a non-zero `code` (the status) beside the usual error fields.
 */
@Catch()
export class SrsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SrsIngest');

  catch(exception: unknown, host: ArgumentsHost): void {
    const answer = toErrorAnswer(exception, this.logger);
    sendErrorAnswer(host.switchToHttp().getResponse<FastifyReply>(), answer, {
      code: answer.body.statusCode,
      ...answer.body,
    });
  }
}
