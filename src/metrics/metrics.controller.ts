import { Get, Header, Req, UnauthorizedException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PublicRoute, SECURITY_SCHEMES } from '../common/auth/auth.decorators.js';
import { ErrorResponseDto } from '../common/paging.dto.js';
import { SecretSet } from '../common/auth/constant-time.js';
import type { AppConfig } from '../config/app-config.js';
import { MetricsRegistry } from './metrics.registry.js';
import { InjectAppConfig } from '../config/app-config.module.js';
import { ServiceController } from '../common/service-controller.decorator.js';

@ApiTags('operations')
@PublicRoute()
@ServiceController('metrics')
export class MetricsController {
  private readonly token: SecretSet | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    @InjectAppConfig() config: AppConfig,
  ) {
    const token = config.metricsToken;
    this.token = token === undefined ? undefined : new SecretSet([token]);
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Text exposition format. With METRICS_TOKEN set, wants `Authorization: Bearer <token>`.',
  })
  @ApiOkResponse({
    description: 'Prometheus text format',
    content: {
      'text/plain': { example: 'deliveries_total{event="channel_live",outcome="succeeded"} 42' },
    },
  })
  // the token only when METRICS_TOKEN is set: either requirement
  @ApiSecurity(SECURITY_SCHEMES.metricsToken)
  @ApiSecurity({})
  @ApiUnauthorizedResponse({
    description: 'METRICS_TOKEN is set and the request does not carry it',
    type: ErrorResponseDto,
    example: {
      statusCode: 401,
      message: 'metrics token is missing or wrong',
      error: 'Unauthorized',
    },
  })
  async scrape(@Req() request: FastifyRequest): Promise<string> {
    if (this.token !== undefined) {
      const authorization = request.headers.authorization ?? '';
      const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? '';
      if (!this.token.has(given))
        throw new UnauthorizedException('metrics token is missing or wrong');
    }
    return this.metrics.metrics();
  }
}
