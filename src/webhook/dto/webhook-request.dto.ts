import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  type ValidationArguments,
} from 'class-validator';
import {
  ALL_EVENTS,
  CHANNEL_EVENT_NAMES,
  type EventSubscription,
} from '../../common/channel-event-name.js';
import { FormBoolean, FormNumber } from '../../common/form-body.js';
import { PageQueryDto } from '../../common/paging.dto.js';
import { IsOptionalNotNull } from '../../common/validation.pipe.js';
import { AtLeastOneOf, IsEventList, IsHttpUrl, ToEventList } from '../../common/validators.js';
import { checkWebhookSecret } from '../webhook-secret.js';

const EVENT_NAMES = [ALL_EVENTS, ...CHANNEL_EVENT_NAMES];

@ValidatorConstraint({ name: 'isWebhookSecret' })
class IsWebhookSecret implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return checkWebhookSecret(value, args.property) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return checkWebhookSecret(args.value, args.property) ?? `${args.property} is not valid`;
  }
}

/** A webhook's `rateLimit`: whole deliveries per second, 1–10,000, or null (in a form: empty). */
function RateLimitProperty(absent: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description: `At most this many deliveries per second to this webhook (per instance); those over it wait, they do not fail. ${absent} In a form body, an empty value is null.`,
      type: 'integer',
      minimum: 1,
      maximum: 10_000,
      nullable: true,
      example: 50,
    }),
    FormNumber(),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(10_000),
  );
}

const EVENT_PROPERTY = {
  description:
    '`all`, or event names separated by `,`, or an array of names (in a form body: the field repeated). Blanks are trimmed, repeats dropped; `all` with names is `all`.',
  oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', enum: EVENT_NAMES } }],
  example: 'channel_live,channel_ended',
};

export class CreateWebhookDto {
  @ApiProperty({
    description: 'Absolute http or https URL the callbacks are POSTed to',
    maxLength: 2048,
    example: 'https://app.example.com/hooks/live',
  })
  @IsHttpUrl()
  uri: string;

  @ApiProperty(EVENT_PROPERTY)
  @ToEventList()
  @IsEventList()
  event: EventSubscription[];

  @ApiPropertyOptional({
    description:
      'Your own signing secret (`whsec_` + base64 of 24–64 bytes); one is generated if left out',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  @IsOptional()
  @Validate(IsWebhookSecret)
  secret?: string;

  @RateLimitProperty('Left out or null: no limit')
  rateLimit?: number | null;
}

@AtLeastOneOf(['uri', 'event', 'active', 'rateLimit'])
export class UpdateWebhookDto {
  @ApiPropertyOptional({
    description: 'New callback URL; left out, it stays',
    maxLength: 2048,
    example: 'https://app.example.com/hooks/live',
  })
  @IsOptionalNotNull()
  @IsHttpUrl()
  uri?: string;

  @ApiPropertyOptional({
    ...EVENT_PROPERTY,
    description: `New event list (replaces the old one). ${EVENT_PROPERTY.description}`,
  })
  @IsOptionalNotNull()
  @ToEventList()
  @IsEventList()
  event?: EventSubscription[];

  @ApiPropertyOptional({
    description:
      'Re-activate (true) or pause (false) the webhook; an inactive webhook gets no callbacks. In a form body, `true` or `false`.',
    example: true,
  })
  @FormBoolean()
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;

  @RateLimitProperty('null removes the limit; left out, it stays')
  rateLimit?: number | null;
}

export class ListWebhooksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    type: String,
    description:
      'Only webhooks subscribed to at least one of these events (comma-separated); a webhook on `all` matches any',
  })
  @IsOptional()
  @ToEventList()
  @IsEventList()
  event?: EventSubscription[];
}

export class DeleteWebhookQueryDto {
  @ApiPropertyOptional({
    type: String,
    description:
      'Take only these events (comma-separated) off the webhook; without it, or when none is left, the webhook is deleted',
  })
  @IsOptional()
  @ToEventList()
  @IsEventList()
  event?: EventSubscription[];
}
