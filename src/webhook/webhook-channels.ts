/** A webhook limited to some channels: their ids, at most this many. */
export const MAX_WEBHOOK_CHANNELS = 1_000;

/** A channel id as the API gives them: a positive whole number, as a string. */
const CHANNEL_ID = /^[1-9]\d{0,18}$/;

/** Whether a value is a channel id as the API writes them. */
export function isChannelId(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_ID.test(value);
}

/**
 * A webhook's `channels` as given: null (every channel) or a non-empty array of channel ids, at most
 * MAX_WEBHOOK_CHANNELS different ones. Answers what is wrong, naming the field, or undefined.
 */
export function checkWebhookChannels(value: unknown, field: string): string | undefined {
  if (value === null) return undefined;
  if (!Array.isArray(value)) {
    return `${field} must be an array of channel ids, or null for every channel`;
  }
  if (value.length === 0) {
    return `${field} must name at least one channel (null: every channel)`;
  }
  const wrong: unknown = (value as unknown[]).find((item) => !isChannelId(item));
  if (wrong !== undefined) {
    return `${field} has ${JSON.stringify(wrong)}, which is not a channel id (a string of digits, e.g. "42")`;
  }
  const count = new Set(value).size;
  if (count > MAX_WEBHOOK_CHANNELS) {
    return `${field} names ${count} channels; at most ${MAX_WEBHOOK_CHANNELS} (null: every channel)`;
  }
  return undefined;
}

/** The channel ids in the order first given, each once. */
export function distinctChannels(channels: readonly string[]): string[] {
  return [...new Set(channels)];
}

/** As stored in webhook.channels: a JSON array of id strings, or null for every channel. */
export function storedChannels(channels: readonly string[] | null | undefined): string | null {
  return channels ? JSON.stringify(distinctChannels(channels)) : null;
}

export function readStoredChannels(stored: string | null): string[] | null {
  return stored === null ? null : (JSON.parse(stored) as string[]);
}

/**
 * The LIKE pattern that finds a channel in webhook.channels: ids are stored quoted, so `"4"` never
 * matches inside `"42"`.
 */
export function channelPattern(channelId: string): string {
  return `%"${channelId}"%`;
}
