import { Controller, Get, Header, Headers, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { PublicRoute } from '../common/auth/auth.decorators.js';
import { SecretSet } from '../common/auth/constant-time.js';
import type { AppConfig } from '../config/app-config.js';
import { MetricsRegistry } from './metrics.registry.js';

@ApiTags('operations')
@PublicRoute()
@Controller('metrics')
export class MetricsController {
  private readonly token: SecretSet | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    config: ConfigService<{ app: AppConfig }, true>,
  ) {
    const token = config.get('app', { infer: true }).metricsToken;
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
  @ApiUnauthorizedResponse({
    description: 'METRICS_TOKEN is set and the request does not carry it',
  })
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    if (this.token !== undefined) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
      if (!this.token.has(given))
        throw new UnauthorizedException('metrics token is missing or wrong');
    }
    return this.metrics.metrics();
  }
}
