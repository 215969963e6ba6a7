import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { AppValidationPipe } from './common/validation.pipe.js';

export const BODY_LIMIT = 1024 * 1024;

export function createAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
}

function needsJsonBody(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return false;
  if (!url.startsWith('/v1/') || url.startsWith('/v1/ingest/')) return false;
  const hasBody =
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0');
  if (!hasBody) return false;
  const type = String(headers['content-type'] ?? '').toLowerCase();
  return !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/.test(type);
}

/** Everything main.ts and the e2e tests share: pipes, error answers, Swagger. */
export function configureApp(
  app: NestFastifyApplication,
  version = '0.0.0',
): NestFastifyApplication {
  app.useGlobalPipes(new AppValidationPipe());

  // The API speaks JSON only; ingest hooks take the media servers' own formats.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      if (!needsJsonBody(request.method, request.url, request.headers)) return done();
      const body = {
        statusCode: 415,
        message: 'body must be sent as Content-Type: application/json',
        error: 'Unsupported Media Type',
      };
      void reply.code(415).send(body);
    });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('channel-webhooks')
      .setDescription(
        'Webhooks for live-streaming channels: subscribe HTTP callbacks to `channel_live`, `channel_stop` and `channel_ended`.',
      )
      .setVersion(version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
