import { describe, expect, it } from 'vitest';
import { parseEventList } from './event-list.js';

describe('parseEventList', () => {
  it.each([
    ['channel_live', ['channel_live']],
    ['channel_live,channel_ended', ['channel_live', 'channel_ended']],
    [' channel_stop ,  channel_live ', ['channel_stop', 'channel_live']],
    ['channel_live,channel_live,channel_stop,channel_live', ['channel_live', 'channel_stop']],
    [
      ['channel_ended', 'channel_live'],
      ['channel_ended', 'channel_live'],
    ],
    [
      ['channel_live,channel_stop', 'channel_ended'],
      ['channel_live', 'channel_stop', 'channel_ended'],
    ],
    ['all', ['all']],
    [' all ', ['all']],
    ['channel_live,all', ['all']],
    [['channel_stop', 'all', 'channel_live'], ['all']],
  ])('reads %j as %j', (input, expected) => {
    expect(parseEventList(input)).toEqual({ ok: true, events: expected });
  });

  it.each([
    ['', 'empty event name'],
    [' ', 'empty event name'],
    ['channel_live,', 'empty event name'],
    ['channel_live,,channel_stop', 'empty event name'],
    ['channel_start', 'unknown event "channel_start"'],
    ['ALL', 'unknown event "ALL"'],
    ['Channel_Live', 'unknown event "Channel_Live"'],
    [[], 'at least one event'],
    [['channel_live', 7], 'only strings'],
    [7, 'must be "all"'],
    [null, 'must be "all"'],
    [{ event: 'all' }, 'must be "all"'],
  ])('refuses %j, saying %s', (input, message) => {
    const result = parseEventList(input, 'event');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(message);
    expect(!result.ok && result.message).toMatch(/^event /);
  });

  it('shortens a huge unknown name in its message', () => {
    const result = parseEventList('x'.repeat(10_000));
    expect(!result.ok && result.message.length).toBeLessThan(200);
  });
});
