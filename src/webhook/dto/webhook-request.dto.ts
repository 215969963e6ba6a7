import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import {
  ALL_EVENTS,
  CHANNEL_EVENT_NAMES,
  OPERATIONAL_EVENT_NAMES,
  type EventSubscription,
} from '../../common/channel-event-name.js';
import { FormBoolean, FormList, FormNumber } from '../../common/form-body.js';
import { PageQueryDto } from '../../common/paging.dto.js';
import { IsOptionalNotNull } from '../../common/validation.pipe.js';
import {
  AtLeastOneOf,
  CheckedBy,
  IsEventList,
  IsHttpUrl,
  IsIntegerIn,
  ToEventList,
} from '../../common/validators.js';
import {
  checkWebhookHeaders,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS_SIZE,
  MAX_WEBHOOK_HEADERS,
  type WebhookHeaders,
} from '../webhook-headers.js';
import { checkWebhookSecret } from '../webhook-secret.js';
import { checkWebhookChannels, isChannelId, MAX_WEBHOOK_CHANNELS } from '../webhook-channels.js';

const EVENT_NAMES = [ALL_EVENTS, ...CHANNEL_EVENT_NAMES, ...OPERATIONAL_EVENT_NAMES];

/** A webhook's own `headers`: names to string values, sent on every attempt, or null. */
function HeadersProperty(absent: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description:
        `Headers of your own sent with every callback (e.g. your receiver's \`Authorization\`): at most ${MAX_WEBHOOK_HEADERS}, names unique ignoring case, values of visible ASCII up to ${MAX_HEADER_VALUE_LENGTH} characters (${MAX_HEADERS_SIZE} in all, names included). ` +
        'Refused names: `webhook-*`, `content-type`, `content-length`, `host`, `user-agent` and the hop-by-hop ones (`connection`, `keep-alive`, `te`, `trailer`, `transfer-encoding`, `upgrade`, `expect`, `proxy-*`), and `constructor` and `prototype`. ' +
        `Values are never shown again: answers mask them. ${absent}`,
      type: 'object',
      additionalProperties: { type: 'string', maxLength: MAX_HEADER_VALUE_LENGTH },
      maxProperties: MAX_WEBHOOK_HEADERS,
      nullable: true,
      example: { Authorization: 'Bearer 3f9a6c1e7b2d' },
    }),
    IsOptional(),
    // The object as sent: class-transformer would drop names like `toString` or `hasOwnProperty`.
    Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key]),
    CheckedBy('isWebhookHeaders', checkWebhookHeaders),
  );
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
    IsIntegerIn(1, 10_000),
  );
}

/** A webhook's `channels`: ids of existing channels, or null for every channel. */
function ChannelsProperty(absent: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      description:
        `Only these channels' events (channel ids, at most ${MAX_WEBHOOK_CHANNELS}; each must name a channel); null: every channel. ${absent} ` +
        'In a form body: ids separated by `,` (or the field repeated); an empty value is null.',
      type: [String],
      maxItems: MAX_WEBHOOK_CHANNELS,
      minItems: 1,
      nullable: true,
      example: ['42', '43'],
    }),
    FormList(),
    IsOptional(),
    CheckedBy('isChannelList', checkWebhookChannels),
  );
}

const EVENT_PROPERTY = {
  description:
    '`all` (the three channel events), or event names separated by `,`, or an array of names (in a form body: the field repeated); operational events (`webhook_failing`, `webhook_recovered`, `webhook_disabled`, `delivery_exhausted`) by name only. Blanks are trimmed, repeats dropped; `all` with names is `all`.',
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
  @CheckedBy('isWebhookSecret', checkWebhookSecret)
  secret?: string;

  @RateLimitProperty('Left out or null: no limit')
  rateLimit?: number | null;

  @HeadersProperty('Left out, null or {}: none')
  headers?: WebhookHeaders | null;

  @ChannelsProperty('Left out: every channel.')
  channels?: string[] | null;
}

@AtLeastOneOf(['uri', 'event', 'active', 'rateLimit', 'headers', 'channels'])
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

  @HeadersProperty('An object replaces them all; null or {} removes them all; left out, they stay.')
  headers?: WebhookHeaders | null;

  @ChannelsProperty('A list replaces the old one; left out, it stays.')
  channels?: string[] | null;
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

  @ApiPropertyOptional({
    type: String,
    description:
      "Only webhooks that get this channel's events: those on every channel, and those limited to channels that include it",
    example: '42',
  })
  @IsOptional()
  @CheckedBy('isChannelId', (value, field) =>
    isChannelId(value)
      ? undefined
      : `${field} must be a channel id (a string of digits, e.g. "42")`,
  )
  channel?: string;
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
