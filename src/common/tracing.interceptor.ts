import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { context, SpanKind } from '@opentelemetry/api';
import { tracing } from '../tracing/tracing.js';
import { DomainError, HTTP_STATUS } from './errors.js';
import { Observable } from 'rxjs';

/** What the interceptor reads of a request, on Fastify or Express. */
interface TracedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Fastify's route. */
  routeOptions?: { url?: string };
  /** Express's route. */
  route?: { path?: string };
}

/**
 * A span for each call of a route of the service (an API request, an ingest hook), with tracing
 * on: `<method> <route>`, a child of the caller's `traceparent` when it sends one. The handler runs
 * in it, so that what the call does (a transition, say) is its child.
 */
@Injectable()
export class TracingInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!tracing.on || execution.getType() !== 'http') return next.handle();
    const http = execution.switchToHttp();
    const request = http.getRequest<TracedRequest>();
    const route = request.routeOptions?.url ?? request.route?.path ?? request.url.split('?')[0];
    const given = request.headers.traceparent;
    const span = tracing.start(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route },
      },
      typeof given === 'string' ? tracing.contextOf(given) : context.active(),
    );
    const status =
      (Reflect.getMetadata(HTTP_CODE_METADATA, execution.getHandler()) as number | undefined) ??
      (request.method === 'POST' ? 201 : 200);
    return new Observable((subscriber) =>
      tracing.within(span, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            const code =
              error instanceof HttpException
                ? error.getStatus()
                : error instanceof DomainError
                  ? HTTP_STATUS[error.code]
                  : 500;
            span.setAttribute('http.response.status_code', code);
            tracing.end(span, code >= 500 ? error : undefined);
            subscriber.error(error);
          },
          complete: () => {
            // a status the handler set itself (readiness's 503), else the route's
            const set = http.getResponse<{ statusCode?: number }>().statusCode;
            span.setAttribute(
              'http.response.status_code',
              set !== undefined && set !== 200 ? set : status,
            );
            tracing.end(span);
            subscriber.complete();
          },
        }),
      ),
    );
  }
}
