import { applyDecorators, Body, HttpCode, Ip, Post, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiBodyRefusals, ApiServerErrors } from '../../common/api-errors.decorator.js';
import { IngestTokenAuth } from '../../common/auth/auth.decorators.js';
import { DomainError, ErrorCode } from '../../common/errors.js';
import { ErrorResponseDto } from '../../common/paging.dto.js';
import {
  IngestAnswerDto,
  IngestEventDto,
  NginxRtmpHookDto,
  SrsAnswerDto,
  SrsHookDto,
} from './dto/ingest.dto.js';
import { denied, IngestService } from './ingest.service.js';
import { SrsExceptionFilter } from './srs-exception.filter.js';
import { ServiceController } from '../../common/service-controller.decorator.js';

const UNAUTHORIZED = ApiUnauthorizedResponse({
  description: 'No token, or a wrong one (when INGEST_TOKEN is set)',
  type: ErrorResponseDto,
  example: { statusCode: 401, message: 'token is not valid', error: 'Unauthorized' },
});
const DENIED = ApiForbiddenResponse({
  description: 'Publishing refused: unknown stream key, or the channel is already live',
  type: ErrorResponseDto,
  example: { statusCode: 403, message: 'stream key is not known', error: 'Forbidden' },
});
const LIMITED = ApiTooManyRequestsResponse({
  description:
    'Too many refused hooks from this address (RATE_LIMIT_INGEST_DENIALS); Retry-After says when to come back',
  type: ErrorResponseDto,
  example: {
    statusCode: 429,
    message: 'too many refused ingest hooks from this address; try again later',
    error: 'Too Many Requests',
  },
});
const BAD = ApiBadRequestResponse({
  description: 'A field is missing or malformed',
  type: ErrorResponseDto,
  example: { statusCode: 400, message: ['name must be a string'], error: 'Bad Request' },
});
/** What every hook can answer besides its own outcome. */
const INGEST_ANSWERS = applyDecorators(
  BAD,
  UNAUTHORIZED,
  LIMITED,
  ApiServerErrors(),
  ApiBodyRefusals('a form (application/x-www-form-urlencoded) or JSON'),
);

@ApiTags('ingest')
@IngestTokenAuth()
@INGEST_ANSWERS
@ServiceController('v1/ingest/nginx-rtmp')
export class NginxRtmpIngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post('publish')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'nginx-rtmp on_publish',
    description: '2xx lets the publisher in (the channel goes live); 403 refuses it.',
  })
  @ApiOkResponse({ type: IngestAnswerDto })
  @DENIED
  async publish(@Body() body: NginxRtmpHookDto, @Ip() address: string): Promise<IngestAnswerDto> {
    if (body.call !== undefined && body.call !== 'publish')
      throw callMismatch(body.call, 'publish');
    return { outcome: await this.ingest.publish(body.name, body.addr ?? address, address) };
  }

  @Post('publish_done')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'nginx-rtmp on_publish_done',
    description:
      'The channel stops. Always 2xx for a well-formed call (nginx ignores the answer); heard ' +
      'while the database is unreachable, the stop is kept and recorded when it is back ' +
      '(outcome `pending`).',
  })
  @ApiOkResponse({ type: IngestAnswerDto })
  async publishDone(@Body() body: NginxRtmpHookDto): Promise<IngestAnswerDto> {
    if (body.call !== undefined && body.call !== 'publish_done')
      throw callMismatch(body.call, 'publish_done');
    return { outcome: await this.ingest.unpublish(body.name) };
  }

  @Post('update')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'nginx-rtmp on_update',
    description:
      'The publisher is still there: keeps the live channel from being stopped as stale ' +
      '(INGEST_STALE_AFTER). Always 2xx for a well-formed call, whatever the database does ' +
      '(nginx drops the publisher on anything else, or on no answer): what cannot be recorded ' +
      'now is recorded when the database is back (outcome `pending`).',
  })
  @ApiOkResponse({ type: IngestAnswerDto })
  async update(@Body() body: NginxRtmpHookDto): Promise<IngestAnswerDto> {
    // The same URL hears from players (update_play): only a publisher keeps a channel live.
    if (body.call === 'update_play') return { outcome: 'ignored' };
    if (body.call !== undefined && body.call !== 'update_publish')
      throw callMismatch(body.call, 'update_publish');
    return { outcome: await this.ingest.update(body.name) };
  }
}

function callMismatch(call: string, expected: string) {
  return new DomainError(ErrorCode.Invalid, `call is "${call}" but this route takes "${expected}"`);
}

@ApiTags('ingest')
@IngestTokenAuth()
@INGEST_ANSWERS
@UseFilters(SrsExceptionFilter)
@ServiceController('v1/ingest/srs')
export class SrsIngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'SRS http_hooks on_publish / on_unpublish',
    description:
      'Answers `{"code":0}` to allow; a non-zero `code` with a 4xx status to deny. An ' +
      'on_unpublish heard while the database is unreachable is kept and recorded when it is back.',
  })
  @ApiOkResponse({ type: SrsAnswerDto })
  @DENIED
  async hook(@Body() body: SrsHookDto, @Ip() address: string): Promise<SrsAnswerDto> {
    if (body.action === 'on_publish') {
      await this.ingest.publish(body.stream, body.ip ?? address, address);
    } else {
      await this.ingest.unpublish(body.stream);
    }
    return { code: 0 };
  }
}

@ApiTags('ingest')
@IngestTokenAuth()
@INGEST_ANSWERS
@ServiceController('v1/ingest/events')
export class GenericIngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Publish / unpublish / update from any media server or script',
    description:
      '200 allows (publish), records the stop (unpublish) or notes the publisher is still there ' +
      '(update, see INGEST_STALE_AFTER); 403 denies an unknown key or a channel already live. ' +
      'While the database is unreachable, update and unpublish still answer 200 (outcome ' +
      '`pending`: recorded in order when it is back) and publish answers 503.',
  })
  @ApiOkResponse({ type: IngestAnswerDto })
  @DENIED
  async event(@Body() body: IngestEventDto, @Ip() address: string): Promise<IngestAnswerDto> {
    if (body.action === 'publish')
      return { outcome: await this.ingest.publish(body.streamKey, address, address) };
    if (body.action === 'update') return { outcome: await this.ingest.update(body.streamKey) };
    const outcome = await this.ingest.unpublish(body.streamKey);
    if (outcome === 'unknown-key') throw denied(outcome);
    return { outcome };
  }
}
