import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../common/paging.dto.js';
import { IsOptionalNotNull } from '../../common/validation.pipe.js';
import { AtLeastOneOf, IsIntegerIn } from '../../common/validators.js';
import { CHANNEL_STATUSES, type ChannelStatus } from '../channel.entity.js';

export const MAX_RECONNECT_WINDOW = 1800;
export const DEFAULT_RECONNECT_WINDOW = 60;

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class CreateChannelDto {
  @ApiProperty({
    description: 'Display name',
    minLength: 1,
    maxLength: 255,
    example: 'Morning show',
  })
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiPropertyOptional({
    type: String,
    description: 'Free text',
    maxLength: 2000,
    nullable: true,
    example: 'Daily news at 7',
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    // the default is told in words: generators read a schema `default` as "always present"
    description: `Seconds a stopped channel waits for its publisher to come back before it ends; ${DEFAULT_RECONNECT_WINDOW} when left out`,
    minimum: 0,
    maximum: MAX_RECONNECT_WINDOW,
    example: 60,
  })
  @IsOptionalNotNull()
  @IsIntegerIn(0, MAX_RECONNECT_WINDOW)
  reconnectWindow?: number;
}

@AtLeastOneOf(['name', 'description', 'reconnectWindow'])
export class UpdateChannelDto {
  @ApiPropertyOptional({
    description: 'Display name',
    minLength: 1,
    maxLength: 255,
    example: 'Evening show',
  })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, 255)
  name?: string;

  @ApiPropertyOptional({
    type: String,
    description: 'Free text; null clears it',
    maxLength: 2000,
    nullable: true,
    example: null,
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Seconds a stopped channel waits for its publisher to come back before it ends',
    minimum: 0,
    maximum: MAX_RECONNECT_WINDOW,
    example: 120,
  })
  @IsOptionalNotNull()
  @IsIntegerIn(0, MAX_RECONNECT_WINDOW)
  reconnectWindow?: number;
}

export class ListChannelsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Only channels in this state',
    enum: CHANNEL_STATUSES,
  })
  @IsOptional()
  @IsIn(CHANNEL_STATUSES)
  status?: ChannelStatus;
}
