import { readFile } from 'node:fs/promises';
import { applyDecorators, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../common/auth/auth.decorators.js';
import { ServiceController } from '../common/service-controller.decorator.js';

// Beside this module in src/ and, copied by the nest-cli assets entry, in dist/.
const STATIC_FOLDER = new URL('./static/', import.meta.url);

/**
 * The page keeps an API key in sessionStorage, so no script, style or connection may come from
 * anywhere but this origin, and nothing inline may run; nor may another site frame it.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HTML = 'text/html; charset=utf-8';
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Every file the page loads besides itself, with its type. The only names /dashboard/:file
 * serves: a request names a key of this map, never a path, so nothing else in the folder (or
 * outside it) can be read. A module added to static/ must be added here too.
 */
export const DASHBOARD_FILES: ReadonlyMap<string, string> = new Map([
  ['actions.js', JAVASCRIPT],
  ['api.js', JAVASCRIPT],
  ['app.js', JAVASCRIPT],
  ['channels.js', JAVASCRIPT],
  ['charts.js', JAVASCRIPT],
  ['deliveries.js', JAVASCRIPT],
  ['dialogs.js', JAVASCRIPT],
  ['dom.js', JAVASCRIPT],
  ['events.js', JAVASCRIPT],
  ['overview.js', JAVASCRIPT],
  ['state.js', JAVASCRIPT],
  ['style.css', CSS],
]);

const StaticFile = () =>
  applyDecorators(
    Header('Content-Security-Policy', DASHBOARD_CSP),
    Header('X-Content-Type-Options', 'nosniff'),
    Header('Referrer-Policy', 'no-referrer'),
    // Small files: always revalidate, so a new release is never mixed with an old script.
    Header('Cache-Control', 'no-cache'),
  );

/**
 * The operator console: a static page that calls the public /v1 API with the key the user
 * types in. The page itself holds nothing secret, so it needs no key to load.
 */
@ApiExcludeController()
@PublicRoute()
@ServiceController('dashboard')
export class DashboardController {
  @Get()
  @StaticFile()
  @Header('Content-Type', HTML)
  index(): Promise<Buffer> {
    return read('index.html');
  }

  @Get(':file')
  @StaticFile()
  file(
    @Param('file') file: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const type = DASHBOARD_FILES.get(file);
    if (type === undefined) throw new NotFoundException();
    void reply.header('Content-Type', type);
    return read(file);
  }
}

// Read on each request (a few small files) so a changed asset shows without a restart.
function read(name: string): Promise<Buffer> {
  return readFile(new URL(name, STATIC_FOLDER));
}
