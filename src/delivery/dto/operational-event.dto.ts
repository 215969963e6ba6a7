import { ApiProperty } from '@nestjs/swagger';

/** The webhook an operational event is about. */
export class AboutWebhookDto {
  @ApiProperty({ description: 'Webhook id', example: '123456' })
  id: string;

  @ApiProperty({ example: 'https://app.example.com/hooks/live' })
  uri: string;
}

const eventTime = () =>
  ApiProperty({
    type: 'integer',
    description: 'When it happened, ms since the epoch',
    example: 1764237600000,
  });
const webhook = () =>
  ApiProperty({ type: AboutWebhookDto, description: 'The webhook it is about (never this one)' });
const lastError = () =>
  ApiProperty({
    type: 'string',
    nullable: true,
    description: "The webhook's last attempt's error, in words",
    example: 'HTTP 500',
  });
const failingSince = () =>
  ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: "When the webhook's failing run began",
    example: '2026-11-27T10:00:00.000Z',
  });

/** What webhook_failing and webhook_recovered tell of a failing run. */
class FailingRunDto {
  @eventTime()
  eventTime: number;

  @webhook()
  webhook: AboutWebhookDto;

  @failingSince()
  failingSince: string | null;

  @lastError()
  lastError: string | null;
}

export class WebhookFailingCallbackDto extends FailingRunDto {
  @ApiProperty({ enum: ['webhook_failing'], example: 'webhook_failing' })
  event: 'webhook_failing';
}

export class WebhookRecoveredCallbackDto extends FailingRunDto {
  @ApiProperty({ enum: ['webhook_recovered'], example: 'webhook_recovered' })
  event: 'webhook_recovered';
}

export class WebhookDisabledCallbackDto {
  @ApiProperty({ enum: ['webhook_disabled'], example: 'webhook_disabled' })
  event: 'webhook_disabled';

  @eventTime()
  eventTime: number;

  @webhook()
  webhook: AboutWebhookDto;

  @ApiProperty({
    description: 'Why it was made inactive',
    example: 'the receiver answered 410 Gone',
  })
  reason: string;

  @lastError()
  lastError: string | null;
}

/** The delivery that failed for good. */
export class ExhaustedDeliveryDto {
  @ApiProperty({ description: "Delivery id (in the webhook's delivery log)", example: '981' })
  id: string;

  @ApiProperty({ description: 'The event it carried', example: 'channel_live' })
  event: string;

  @ApiProperty({ type: 'string', nullable: true, example: '42' })
  channelId: string | null;

  @ApiProperty({ description: 'Its webhook-id', example: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' })
  messageId: string;
}

export class DeliveryExhaustedCallbackDto {
  @ApiProperty({ enum: ['delivery_exhausted'], example: 'delivery_exhausted' })
  event: 'delivery_exhausted';

  @eventTime()
  eventTime: number;

  @webhook()
  webhook: AboutWebhookDto;

  @ApiProperty({ type: ExhaustedDeliveryDto })
  delivery: ExhaustedDeliveryDto;

  @ApiProperty({ type: 'integer', description: 'Attempts it had', example: 8 })
  attempts: number;

  @lastError()
  lastError: string | null;
}
