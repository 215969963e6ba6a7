import { SetMetadata } from '@nestjs/common';

export const AUTH_KIND = 'channel-webhooks:auth-kind';

/** How a route is authenticated: API key (the default), the ingest token, or not at all. */
export type AuthKind = 'api-key' | 'ingest-token' | 'public';

/** Media-server hooks: `?token=` against INGEST_TOKEN instead of an API key. */
export const IngestTokenAuth = () => SetMetadata(AUTH_KIND, 'ingest-token' satisfies AuthKind);

/** Health and similar routes that need no credentials. */
export const PublicRoute = () => SetMetadata(AUTH_KIND, 'public' satisfies AuthKind);
