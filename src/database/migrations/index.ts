import { CreateWebhooks1764000000000 } from './1764000000000-CreateWebhooks.js';
import { CreateChannels1764000100000 } from './1764000100000-CreateChannels.js';
import { CreateDeliveries1764000200000 } from './1764000200000-CreateDeliveries.js';
import { DeliveryHotPath1764000300000 } from './1764000300000-DeliveryHotPath.js';
import { SessionStreamKey1764000400000 } from './1764000400000-SessionStreamKey.js';
import { ChannelLastSeen1764000500000 } from './1764000500000-ChannelLastSeen.js';
import { DeliveryRetention1764000600000 } from './1764000600000-DeliveryRetention.js';
import { WebhookRateLimit1764000700000 } from './1764000700000-WebhookRateLimit.js';
import { WebhookHeaders1764000800000 } from './1764000800000-WebhookHeaders.js';
import { DeliveryConsole1764000900000 } from './1764000900000-DeliveryConsole.js';
import { AttemptResponseTruncated1764001500000 } from './1764001500000-AttemptResponseTruncated.js';
import { ChannelSessionLiveness1764001600000 } from './1764001600000-ChannelSessionLiveness.js';
import { WebhookState1764001700000 } from './1764001700000-WebhookState.js';
import { EventSequence1764001800000 } from './1764001800000-EventSequence.js';
import { WebhookChannels1764001900000 } from './1764001900000-WebhookChannels.js';
import { DeliveryTest1764002000000 } from './1764002000000-DeliveryTest.js';
import { WebhookFailingAlerted1764002100000 } from './1764002100000-WebhookFailingAlerted.js';
import { DeliveryFresh1764002200000 } from './1764002200000-DeliveryFresh.js';
import { EventTraceParent1764002300000 } from './1764002300000-EventTraceParent.js';

/** Every migration, oldest first. */
export const MIGRATIONS = [
  CreateWebhooks1764000000000,
  CreateChannels1764000100000,
  CreateDeliveries1764000200000,
  DeliveryHotPath1764000300000,
  SessionStreamKey1764000400000,
  ChannelLastSeen1764000500000,
  DeliveryRetention1764000600000,
  WebhookRateLimit1764000700000,
  WebhookHeaders1764000800000,
  DeliveryConsole1764000900000,
  AttemptResponseTruncated1764001500000,
  ChannelSessionLiveness1764001600000,
  WebhookState1764001700000,
  EventSequence1764001800000,
  WebhookChannels1764001900000,
  DeliveryTest1764002000000,
  WebhookFailingAlerted1764002100000,
  DeliveryFresh1764002200000,
  EventTraceParent1764002300000,
];
