import type { Sql } from '../database/sql.js';

/**
 * What the statements ask of the database's dialect: a plain object will do, so they run outside the
 * service too (the bench's bare read server answers with the very same statements).
 */
type Dialect = Pick<Sql, 'list' | 'forUpdate' | 'counting'>;

/** A webhook as the API shows it, joined with each of its events. */
const VIEW_COLUMNS =
  'w.id, w.uri, w.state, w.rate_limit AS rateLimit, w.headers, w.failing_since AS failingSince,' +
  ' w.disabled_reason AS disabledReason, w.channels,' +
  ' w.created_at AS createdAt, w.updated_at AS updatedAt, e.event';

/**
 * Only the webhooks subscribed to one of `events` events (0: any), and with `byChannel`, only
 * those that get one channel's events (every channel, or a list holding it: a LIKE pattern).
 */
const matching = (db: Dialect, events: number, byChannel = false) => {
  const terms = [
    ...(events === 0
      ? []
      : [`id IN (SELECT webhook_id FROM webhook_event WHERE event IN (${db.list(events)}))`]),
    ...(byChannel ? ['(channels IS NULL OR channels LIKE ?)'] : []),
  ];
  return terms.length === 0 ? '' : ` WHERE ${terms.join(' AND ')}`;
};

/**
 * The webhook and webhook_event tables' hand-written statements, by name (`db` writes what
 * differs between the databases).
 */
export const WEBHOOK_SQL = {
  /** `count` webhooks by id, with their events in subscription order. */
  withEvents: (db: Dialect, count: number) =>
    `SELECT ${VIEW_COLUMNS} FROM webhook w LEFT JOIN webhook_event e ON e.webhook_id = w.id` +
    ` WHERE w.id IN (${db.list(count)}) ORDER BY w.id, e.position`,
  /**
   * How many webhooks are subscribed to one of `events` events (0: all webhooks), and with
   * `byChannel`, get the channel's events (its pattern after the events).
   */
  countPage: (db: Dialect, events: number, byChannel = false) =>
    `SELECT COUNT(*) AS total FROM webhook${matching(db, events, byChannel)}`,
  /**
   * A page (limit, offset after the events and the channel's pattern) of those webhooks, oldest
   * first, with their events.
   */
  page: (db: Dialect, events: number, byChannel = false) =>
    `SELECT ${VIEW_COLUMNS} FROM (SELECT id FROM webhook${matching(db, events, byChannel)}` +
    ' ORDER BY id LIMIT ? OFFSET ?) p' +
    ' JOIN webhook w ON w.id = p.id LEFT JOIN webhook_event e ON e.webhook_id = w.id' +
    ' ORDER BY w.id, e.position',
  /** Inactive webhooks first, then those in a failing run, then the rest; each oldest first. */
  mostUrgent:
    'SELECT id FROM webhook' +
    " ORDER BY CASE WHEN state = 'active' THEN 1 ELSE 0 END," +
    ' CASE WHEN failing_since IS NULL THEN 1 ELSE 0 END, id LIMIT ?',
  erasePreviousSecrets: (db: Dialect) =>
    db.counting(
      'UPDATE webhook SET previous_secret = NULL, previous_secret_expires_at = NULL' +
        ' WHERE previous_secret_expires_at <= ?',
    ),
  /** A webhook's newest deliveries, locked. */
  lockLogChunk: (db: Dialect) =>
    `SELECT id FROM delivery WHERE webhook_id = ? ORDER BY id DESC LIMIT ?${db.forUpdate()}`,
  version: 'SELECT version FROM webhook_state WHERE id = 1',
  /** Which of `count` channel ids name a channel. */
  existingChannels: (db: Dialect, count: number) =>
    `SELECT id FROM channel WHERE id IN (${db.list(count)})`,
  snapshot:
    'SELECT id, uri, state, secret, previous_secret AS previousSecret,' +
    ' previous_secret_expires_at AS previousSecretExpiresAt, failing_since AS failingSince,' +
    ' failing_alerted AS failingAlerted,' +
    ' disabled_reason AS disabledReason, rate_limit AS rateLimit, headers, channels FROM webhook' +
    ' ORDER BY id',
  subscriptions:
    'SELECT webhook_id AS webhookId, event FROM webhook_event ORDER BY webhook_id, position',
};
