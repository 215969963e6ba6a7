import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { AcceptsUnknownFields } from '../../../common/validation.pipe.js';

/**
 * nginx appends the publisher's own query arguments to its form: a publisher's `?name=` or `?call=`
 * repeats a field. nginx's own value comes first.
 */
const firstOfRepeated = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value) ? (value as unknown[])[0] : value;

/**
 * nginx-rtmp's on_publish / on_publish_done / on_update form (plus the publisher's query
 * arguments, ignored).
 */
@AcceptsUnknownFields()
export class NginxRtmpHookDto {
  @ApiPropertyOptional({
    description:
      '`publish`, `publish_done`, or for on_update `update_publish` (a publisher) or ' +
      '`update_play` (a player, ignored)',
    example: 'publish',
  })
  @Transform(firstOfRepeated)
  @IsOptional()
  @IsIn(['publish', 'publish_done', 'update_publish', 'update_play'])
  call?: 'publish' | 'publish_done' | 'update_publish' | 'update_play';

  @ApiProperty({
    description: 'The stream name: the channel stream key',
    example: 'kT3vQ9nW2xYb7LmP0aZc5dFh8jRs1uVe',
  })
  @Transform(firstOfRepeated)
  @IsString()
  @Length(1, 256)
  name: string;

  @ApiPropertyOptional({ example: 'live' })
  @IsOptional()
  @IsString()
  app?: string;

  @ApiPropertyOptional({ example: '127.0.0.1' })
  @Transform(firstOfRepeated)
  @IsOptional()
  @IsString()
  addr?: string;

  @ApiPropertyOptional({ example: '7' })
  @IsOptional()
  @IsString()
  clientid?: string;

  @ApiPropertyOptional({ example: 'rtmp://127.0.0.1:1935/live' })
  @IsOptional()
  @IsString()
  tcurl?: string;
}

/** SRS's http_hooks body for on_publish / on_unpublish (other fields are accepted and ignored). */
@AcceptsUnknownFields()
export class SrsHookDto {
  @ApiProperty({ enum: ['on_publish', 'on_unpublish'], example: 'on_publish' })
  @IsIn(['on_publish', 'on_unpublish'])
  action: 'on_publish' | 'on_unpublish';

  @ApiProperty({
    description: 'The stream name: the channel stream key',
    example: 'kT3vQ9nW2xYb7LmP0aZc5dFh8jRs1uVe',
  })
  @IsString()
  @Length(1, 256)
  stream: string;

  @ApiPropertyOptional({ example: 'live' })
  @IsOptional()
  @IsString()
  app?: string;

  @ApiPropertyOptional({ example: '__defaultVhost__' })
  @IsOptional()
  @IsString()
  vhost?: string;

  @ApiPropertyOptional({ example: '341w361a' })
  @IsOptional()
  @IsString()
  client_id?: string;

  @ApiPropertyOptional({ example: '127.0.0.1' })
  @IsOptional()
  @IsString()
  ip?: string;
}

export class IngestEventDto {
  @ApiProperty({
    description: 'The channel stream key',
    example: 'kT3vQ9nW2xYb7LmP0aZc5dFh8jRs1uVe',
  })
  @IsString()
  @Length(1, 256)
  streamKey: string;

  @ApiProperty({
    enum: ['publish', 'unpublish', 'update'],
    example: 'publish',
    description: 'update: the publisher is still there (see INGEST_STALE_AFTER)',
  })
  @IsIn(['publish', 'unpublish', 'update'])
  action: 'publish' | 'unpublish' | 'update';
}

export class IngestAnswerDto {
  @ApiProperty({
    description:
      'What the hook did: live, stopped, not-live (an unpublish or update on a channel that is not live changes nothing), ignored (an on_update from a player), or pending (an unpublish or update heard while the database is unreachable: kept, and recorded as of now when it is back)',
    example: 'live',
  })
  outcome: string;
}

export class SrsAnswerDto {
  @ApiProperty({ type: 'integer', description: '0 allows; anything else denies', example: 0 })
  code: number;
}
