import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/app-config.js';
import { AUTH_KIND, type AuthKind } from './auth.decorators.js';
import { IngestDenials } from '../rate-limit/ingest-denials.js';
import { SecretSet } from './constant-time.js';
import { InjectAppConfig } from '../../config/app-config.module.js';

/** Requests whose credentials were checked, and for which kind. */
const AUTHENTICATED = new WeakMap<object, AuthKind>();

/**
 * Who may call the service's routes: every route wants `Authorization: Bearer <API key>` unless it
 * says otherwise. With no keys configured the API is open (start-up logs a warning; production
 * refuses to start). One for the process; each controller's AuthGuard asks it.
 */
@Injectable()
export class Authenticator implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  private readonly apiKeys: SecretSet;
  private readonly ingestToken: SecretSet | undefined;
  /** A worker (its own process, or the delivery thread) serves no API to warn about. */
  private readonly servesApi: boolean;

  constructor(
    private readonly reflector: Reflector,
    private readonly denials: IngestDenials,
    @InjectAppConfig() app: AppConfig,
  ) {
    this.apiKeys = new SecretSet(app.apiKeys);
    this.ingestToken = app.ingestToken === undefined ? undefined : new SecretSet([app.ingestToken]);
    this.servesApi = app.role !== 'worker';
  }

  onApplicationBootstrap(): void {
    if (!this.servesApi) return;
    if (this.apiKeys.empty) {
      this.logger.warn('API_KEYS is not set: the /v1 API is open to anyone who can reach it');
    }
    if (this.ingestToken === undefined) {
      this.logger.warn('INGEST_TOKEN is not set: the ingest hooks accept calls without a token');
    }
  }

  /** Whether the route's caller may call it: true, or an error (401, 429). */
  async allows(context: ExecutionContext): Promise<boolean> {
    const kind =
      this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'api-key';
    if (kind === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Already checked before the body was read, for the same kind of credential (on Fastify).
    if (AUTHENTICATED.get(request.raw ?? request) === kind) return true;
    await this.authenticate(kind, request);
    return true;
  }

  /**
   * Throws 401 unless the request carries the credential `kind` asks for (429 instead for a
   * wrong ingest token from an address past RATE_LIMIT_INGEST_DENIALS). Also run by a Fastify hook before any body is read (see
   * app.setup.ts), so an unauthenticated request is a 401 whatever its body.
   */
  async authenticate(kind: Exclude<AuthKind, 'public'>, request: FastifyRequest): Promise<void> {
    await this.check(kind, request);
    AUTHENTICATED.set(request.raw ?? request, kind);
  }

  private async check(kind: Exclude<AuthKind, 'public'>, request: FastifyRequest): Promise<void> {
    if (kind === 'ingest-token') {
      try {
        this.checkIngestToken(request);
      } catch (error) {
        // Only wrong guesses are counted and refused: a media server that carries the right token
        // is never held back by what others sent from its address (a shared load balancer, NAT).
        this.denials.assertAllowed(`token:${request.ip}`);
        await this.denials.record(`token:${request.ip}`);
        throw error;
      }
      return;
    }
    this.checkApiKey(request);
  }

  private checkApiKey(request: FastifyRequest): boolean {
    if (this.apiKeys.empty) return true;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedException('Authorization header must be "Bearer <API key>"');
    if (!this.apiKeys.has(match[1])) throw new UnauthorizedException('API key is not valid');
    return true;
  }

  private checkIngestToken(request: FastifyRequest): boolean {
    if (this.ingestToken === undefined) return true;
    const token = (request.query as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token === '') {
      throw new UnauthorizedException('token query parameter is required');
    }
    if (!this.ingestToken.has(token)) {
      throw new UnauthorizedException('token is not valid');
    }
    return true;
  }
}

/** The guard of every controller of the service (see ServiceController): the Authenticator's. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly authenticator: Authenticator) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    return this.authenticator.allows(context);
  }
}
