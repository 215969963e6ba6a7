// @ts-check
// Channels: the list with status and live session, and one channel's timeline of events with the
// deliveries each made, newest first.

import { endSessionAction } from './actions.js';
import { channelEvents, listChannels, readChannel } from './api.js';
import { button, DASH, el, errorBox, link, notice, olderButton, statusBadge, time } from './dom.js';

/** @typedef {import('../api-types.js').Channel} Channel */
/** @typedef {import('../api-types.js').ChannelTimeline} ChannelTimeline */
/** @typedef {import('../api-types.js').ChannelTimelineEvent} ChannelTimelineEvent */
/** @typedef {import('./state.js').Render} Render */

/** @type {Set<string>} */
const CAN_END = new Set(['live', 'stopped']);

/**
 * "End session" for a live or stopped channel, null for another; `after()` once it was ended.
 * @param {Channel} channel
 * @param {() => Promise<void>} after
 */
function endButton(channel, after) {
  if (!CAN_END.has(channel.status)) return null;
  return button(
    'End session',
    async () => {
      const ended = await endSessionAction(channel);
      if (!ended) return;
      notice(`The session of channel ${channel.id} was ended; channel_ended is on its way.`);
      await after();
    },
    { className: 'secondary danger-text', testid: 'end-session' },
  );
}

/**
 * @param {Channel} channel
 * @param {() => Promise<void>} after
 */
function channelRow(channel, after) {
  return el(
    'tr',
    { testid: 'channel-row', data: { channelId: channel.id, status: channel.status } },
    el('td', { className: 'num' }, channel.id),
    el(
      'td',
      {},
      link(`#/channels/${channel.id}`, channel.name, {
        testid: 'channel-open',
        attrs: { 'aria-label': `Timeline of channel ${channel.id}, ${channel.name}` },
      }),
    ),
    el('td', {}, statusBadge(channel.status, 'channel-status')),
    el(
      'td',
      { className: 'hide-narrow' },
      channel.sessionId ? el('code', { testid: 'channel-session' }, channel.sessionId) : DASH,
    ),
    el('td', {}, channel.status === 'live' ? time(channel.liveAt, { relative: true }) : DASH),
    el('td', {}, endButton(channel, after)),
  );
}

/** @type {Render} */
export async function renderChannels(view, route, go, isCurrent) {
  const page = Number(route.params.get('page') ?? 0) || 0;
  let answer;
  try {
    answer = await listChannels(page);
  } catch (error) {
    if (isCurrent()) view.replaceChildren(errorBox('the channels', error));
    return;
  }
  if (!isCurrent()) return;
  const after = () => renderChannels(view, route, go, isCurrent);
  /**
   * @param {string} text
   * @param {string} [className]
   */
  const head = (text, className) => el('th', { className, attrs: { scope: 'col' } }, text);
  const last = (page + 1) * answer.length >= answer.total;
  view.replaceChildren(
    el(
      'section',
      { className: 'panel', attrs: { 'aria-labelledby': 'channels-title' } },
      el('h2', { attrs: { id: 'channels-title' } }, 'Channels'),
      el(
        'p',
        { className: 'muted small', testid: 'channel-count' },
        answer.total === 0
          ? 'No channels yet.'
          : `${answer.total} channels, oldest first${answer.total > answer.data.length ? ` (page ${page + 1})` : ''}.`,
      ),
      el(
        'div',
        { className: 'table-wrap' },
        el(
          'table',
          { className: 'channels', testid: 'channel-table' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              head('Id', 'num'),
              head('Name'),
              head('Status'),
              head('Session', 'hide-narrow'),
              head('Live since'),
              head(''),
            ),
          ),
          el(
            'tbody',
            {},
            answer.data.map((channel) => channelRow(channel, after)),
          ),
        ),
      ),
      el(
        'div',
        { className: 'toolbar' },
        page > 0 ? link(`#/channels?page=${page - 1}`, '← Previous page') : null,
        last ? null : link(`#/channels?page=${page + 1}`, 'Next page →', { testid: 'next-page' }),
      ),
    ),
  );
}

/** @param {ChannelTimelineEvent} event */
function eventItem(event) {
  return el(
    'li',
    {
      className: `event event-${event.event}`,
      testid: 'channel-event',
      data: { event: event.event },
    },
    el(
      'div',
      { className: 'event-head' },
      el('span', { className: `badge event-badge ${event.event}` }, event.event),
      time(event.at),
      event.sessionId
        ? el(
            'span',
            { className: 'muted small' },
            'session ',
            el('code', { testid: 'event-session' }, event.sessionId),
          )
        : null,
    ),
    event.deliveries.length === 0
      ? el('p', { className: 'muted small' }, 'No webhook was subscribed: no delivery.')
      : el(
          'ul',
          { className: 'event-deliveries' },
          event.deliveries.map((delivery) =>
            el(
              'li',
              {},
              link(
                `#/webhooks/${delivery.webhookId}/deliveries/${delivery.deliveryId}`,
                `webhook ${delivery.webhookId} · delivery ${delivery.deliveryId}`,
                { testid: 'event-delivery' },
              ),
              ' ',
              statusBadge(delivery.status, 'event-delivery-status'),
            ),
          ),
        ),
  );
}

/** @type {Render} */
export async function renderChannel(view, route, go, isCurrent) {
  // the route's path has it
  const channelId = /** @type {string} */ (route.channelId);
  /** @type {Channel} */
  let channel;
  /** @type {ChannelTimeline} */
  let first;
  try {
    [channel, first] = await Promise.all([readChannel(channelId), channelEvents(channelId)]);
  } catch (error) {
    if (isCurrent()) view.replaceChildren(errorBox(`channel ${channelId}`, error));
    return;
  }
  if (!isCurrent()) return;
  const after = () => renderChannel(view, route, go, isCurrent);
  const list = el('ol', { className: 'timeline', testid: 'timeline' });
  const { older, append } = olderButton(
    'events',
    (cursor) => channelEvents(channelId, cursor),
    (page) => list.append(...page.data.map(eventItem)),
  );
  append(first);
  view.replaceChildren(
    el(
      'section',
      { className: 'panel', testid: 'channel-detail', data: { channelId } },
      el('p', { className: 'crumbs' }, link('#/channels', '← All channels')),
      el(
        'div',
        { className: 'panel-head' },
        el(
          'h2',
          {},
          `${channel.name} `,
          el('span', { className: 'muted' }, `channel ${channel.id}`),
        ),
        endButton(channel, after),
      ),
      el(
        'p',
        { className: 'state-detail' },
        statusBadge(channel.status, 'channel-status'),
        ' ',
        channel.sessionId ? ['session ', el('code', {}, channel.sessionId)] : 'no session yet',
        channel.status === 'live'
          ? [' · live since ', time(channel.liveAt, { relative: true })]
          : null,
      ),
      el('h3', {}, 'Timeline, newest first'),
      first.data.length === 0
        ? el('p', { className: 'muted', testid: 'timeline-empty' }, 'No event yet.')
        : list,
      older,
    ),
  );
}
