import { readFile } from 'node:fs/promises';
import { applyDecorators, Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PublicRoute } from '../common/auth/auth.decorators.js';

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

const StaticFile = (contentType: string) =>
  applyDecorators(
    Header('Content-Type', contentType),
    Header('Content-Security-Policy', DASHBOARD_CSP),
    Header('X-Content-Type-Options', 'nosniff'),
    Header('Referrer-Policy', 'no-referrer'),
    // Small files: always revalidate, so a new release is never mixed with an old script.
    Header('Cache-Control', 'no-cache'),
  );

/**
 * The delivery dashboard: a static page that calls the public /v1 API with the key the user
 * types in. The page itself holds nothing secret, so it needs no key to load.
 */
@ApiExcludeController()
@PublicRoute()
@Controller('dashboard')
export class DashboardController {
  @Get()
  @StaticFile('text/html; charset=utf-8')
  index(): Promise<Buffer> {
    return read('index.html');
  }

  @Get('app.js')
  @StaticFile('text/javascript; charset=utf-8')
  script(): Promise<Buffer> {
    return read('app.js');
  }

  @Get('style.css')
  @StaticFile('text/css; charset=utf-8')
  style(): Promise<Buffer> {
    return read('style.css');
  }
}

// Read on each request (three small files) so a changed asset shows without a restart.
function read(name: string): Promise<Buffer> {
  return readFile(new URL(name, STATIC_FOLDER));
}
