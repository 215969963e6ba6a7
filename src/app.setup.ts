import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Authenticator } from './common/auth/auth.guard.js';
import { FORM_TYPE, markFormBody, mediaTypeOf, takesFormBody } from './common/form-body.js';
import { sendErrorAnswer, toErrorAnswer } from './common/http-exception.filter.js';
import { deferredJsonParser } from './common/json-body.js';
import type { AppConfig, TrustProxy } from './config/app-config.js';
import { redactUrl } from './logging/logging.module.js';
import { HttpMetrics } from './metrics/metrics.registry.js';
import { type CallbackDocument, EventCatalog } from './event-types/event-catalog.js';
import { buildOpenApiDocument } from './openapi.js';
import { APP_CONFIG } from './config/app-config.module.js';

export const BODY_LIMIT = 1024 * 1024;

/**
 * The Fastify adapter. `trustProxy` (TRUST_PROXY) says whose X-Forwarded-For to believe: then
 * `request.ip` (the rate limits' key, the request log) is the client's address, not the proxy's.
 */
export function createAdapter(trustProxy: TrustProxy = false): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    trustProxy,
    // The router refuses malformed URLs (400) and over-long path segments (414) before any hook:
    // answer them in the API's own shape, without echoing the URL (it may carry a token).
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const statusCode = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      void reply
        .code(statusCode)
        .header('content-type', 'application/json; charset=utf-8')
        .send({
          statusCode,
          message:
            statusCode === 414 ? 'a path segment is too long' : 'the request URL is malformed',
          error: statusCode === 414 ? 'URI Too Long' : 'Bad Request',
        });
    },
    // A caller's own request id is kept; it is also left on the raw request for the request log.
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      (request as { id?: unknown }).id = id;
      return id;
    },
  });
}

/**
 * The path the router matched a request to: the route's own pattern (`/v1/webhook/:id`), so
 * every spelling that reaches a route (`/%761/webhook`, `/v1/%77ebhook`) is judged as that route;
 * the raw path for a request no route takes (a 404).
 */
function routedPath(request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url;
}

/** Which credential a path wants: the ingest token for the hooks, an API key for the rest of /v1. */
function authKindOf(path: string): 'api-key' | 'ingest-token' | undefined {
  if (path.startsWith('/v1/ingest/')) return 'ingest-token';
  if (path.startsWith('/v1/') || path === '/v1') return 'api-key';
  return undefined;
}

function sendsBody(
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return false;
  if (!path.startsWith('/v1/') || path.startsWith('/v1/ingest/')) return false;
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** Why a /v1 body of this type is refused (415), or undefined when the route takes it. */
function refusedBodyType(request: FastifyRequest): string | undefined {
  if (!sendsBody(request.method, routedPath(request), request.headers)) return undefined;
  const type = mediaTypeOf(request.headers['content-type']);
  if (JSON_TYPE.test(type)) return undefined;
  if (!takesFormBody(request.routeOptions.config)) {
    return 'body must be sent as Content-Type: application/json';
  }
  if (type === FORM_TYPE) return undefined;
  return `body must be sent as Content-Type: application/json or ${FORM_TYPE}`;
}

/** Everything main.ts and the e2e tests share: body parsing, request hooks, Swagger. */
export function configureApp(
  app: NestFastifyApplication,
  version = '0.0.0',
): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT }, deferredJsonParser(fastify));

  // Every answer names its request id, the key to its log line; a caller's own id is kept.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  // Credentials first, before any body is read or judged: without them a request is a 401
  // (429 past the ingest-denial limit), whatever its method, type or size. The route's guard
  // goes by the route's own metadata and does not check again what this hook checked. The hook
  // goes by the route the router chose, not by the path as spelled, so no encoding of a path
  // reaches a route without this check.
  const auth = app.get(Authenticator);
  const authLog = new Logger('Auth');
  fastify.addHook('onRequest', async (request, reply) => {
    const path = routedPath(request);
    const kind = authKindOf(path);
    if (kind === undefined) return;
    try {
      await auth.authenticate(kind, request);
    } catch (error) {
      const answer = toErrorAnswer(error, authLog);
      // SRS reads a refusal from the body's code.
      const srs = path.startsWith('/v1/ingest/srs');
      sendErrorAnswer(
        reply,
        answer,
        srs ? { code: answer.body.statusCode, ...answer.body } : answer.body,
      );
      return reply;
    }
  });

  // The API speaks JSON, and forms on the routes that say so; ingest hooks take the media
  // servers' own formats.
  fastify.addHook('onRequest', (request, reply, done) => {
    const refused = refusedBodyType(request);
    if (refused === undefined) return done();
    void reply
      .code(415)
      .send({ statusCode: 415, message: refused, error: 'Unsupported Media Type' });
  });
  // Form values are all strings: the DTOs convert a form's, never a JSON body's (see form-body.ts).
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (mediaTypeOf(request.headers['content-type']) === FORM_TYPE) markFormBody(request.body);
    done();
  });

  // One log line and the HTTP metrics per request, from Fastify itself, so 404s and refused
  // bodies count too.
  const metrics = app.get(HttpMetrics);
  const requestLog = new Logger('HTTP');
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestLog.log({
      msg: 'request completed',
      reqId: request.id,
      method: request.method,
      url: redactUrl(request.url),
      route,
      status: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      remoteAddress: request.ip,
    });
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  // A worker-only process serves its probes and metrics, no API to document.
  if (app.get<AppConfig>(APP_CONFIG).role === 'worker') return app;
  const document = buildOpenApiDocument(app, version);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  // The catalog's body schemas are the document's own.
  app.get(EventCatalog).useDocument(document as CallbackDocument);
  return app;
}
