import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity, DECORATORS } from '@nestjs/swagger';

export const AUTH_KIND = 'channel-webhooks:auth-kind';

/** How a route is authenticated: API key (the default), the ingest token, or not at all. */
export type AuthKind = 'api-key' | 'ingest-token' | 'public';

/** The OpenAPI security schemes' names, as operations refer to them. */
export const SECURITY_SCHEMES = {
  apiKey: 'api-key',
  ingestToken: 'ingest-token',
  metricsToken: 'metrics-token',
} as const;

/** Media-server hooks: `?token=` against INGEST_TOKEN instead of an API key. */
export const IngestTokenAuth = () =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'ingest-token' satisfies AuthKind),
    ApiSecurity(SECURITY_SCHEMES.ingestToken),
  );

/** Health and similar routes that need no credentials (documented with `security: []`). */
export const PublicRoute = () =>
  applyDecorators(
    SetMetadata(AUTH_KIND, 'public' satisfies AuthKind),
    SetMetadata(DECORATORS.API_SECURITY, []),
  );
