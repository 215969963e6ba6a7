import { describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  failingReason,
  GONE_REASON,
  healthChanges,
  verdictOf,
  type WebhookHealthState,
} from './webhook-health.js';

const HOUR = 3_600_000;
const DISABLE_AFTER = 72 * HOUR;
const now = new Date('2026-01-10T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

function changes(outcomes: AttemptOutcome[], states: Record<string, WebhookHealthState>) {
  return healthChanges(outcomes, (id) => states[id], now, DISABLE_AFTER);
}

const healthy: WebhookHealthState = { state: 'active', failingSince: null };
const failed = (webhookId: string): AttemptOutcome => ({
  webhookId,
  ping: false,
  verdict: 'failed',
});

describe('verdictOf', () => {
  it('tells successes and 410s apart from every other outcome', () => {
    expect(['succeeded', 'gone', 'retry', 'dead'].map(verdictOf)).toEqual([
      'succeeded',
      'gone',
      'failed',
      'failed',
    ]);
  });
});

describe('healthChanges', () => {
  it('starts a failing run for an active webhook that was not failing', () => {
    const sut = changes([failed('a'), failed('a')], { a: healthy });
    expect(sut.startFailing).toEqual(['a']);
    expect(sut.recovered).toEqual([]);
    expect(sut.overdue).toEqual([]);
  });

  it('leaves inactive and unknown webhooks out of failing runs', () => {
    const sut = changes([failed('paused'), failed('disabled'), failed('gone')], {
      paused: { state: 'paused', failingSince: null },
      disabled: { state: 'disabled', failingSince: null },
    });
    expect(sut.startFailing).toEqual([]);
  });

  it('ends the failing run of a webhook that succeeded, even with a failure in the batch', () => {
    const sut = changes([failed('a'), { webhookId: 'a', ping: false, verdict: 'succeeded' }], {
      a: { state: 'active', failingSince: ago(HOUR) },
    });
    expect(sut.recovered).toEqual(['a']);
    expect(sut.startFailing).toEqual([]);
    expect(sut.overdue).toEqual([]);
  });

  it('writes nothing for a success of a webhook that was not failing', () => {
    const sut = changes([{ webhookId: 'a', ping: false, verdict: 'succeeded' }], { a: healthy });
    expect(sut.recovered).toEqual([]);
  });

  it('makes a webhook that answered 410 Gone inactive, whatever else it answered', () => {
    const sut = changes([failed('a'), { webhookId: 'a', ping: false, verdict: 'gone' }], {
      a: { state: 'active', failingSince: ago(DISABLE_AFTER) },
    });
    expect(sut.gone).toEqual([{ webhookId: 'a', reason: GONE_REASON }]);
    expect(sut.overdue).toEqual([]);
    expect(sut.startFailing).toEqual([]);
  });

  it('disables a webhook failing for WEBHOOK_DISABLE_AFTER, not one failing for less', () => {
    const sut = changes([failed('long'), failed('short')], {
      long: { state: 'active', failingSince: ago(DISABLE_AFTER) },
      short: { state: 'active', failingSince: ago(DISABLE_AFTER - 1) },
    });
    expect(sut.overdue).toEqual([{ webhookId: 'long', reason: 'failing continuously for 72h' }]);
    expect(sut.threshold).toEqual(ago(DISABLE_AFTER));
    expect(sut.startFailing).toEqual([]);
  });

  it('tells of a run failing for WEBHOOK_FAILING_AFTER once, and of its end only when told of', () => {
    const FAILING_AFTER = 15 * 60_000;
    const sut = healthChanges(
      [
        failed('long'),
        failed('short'),
        failed('told'),
        { webhookId: 'back', ping: false, verdict: 'succeeded' },
        { webhookId: 'quiet', ping: false, verdict: 'succeeded' },
      ],
      (id) =>
        ({
          long: { state: 'active', failingSince: ago(FAILING_AFTER) },
          short: { state: 'active', failingSince: ago(FAILING_AFTER - 1) },
          told: { state: 'active', failingSince: ago(HOUR), failingAlerted: true },
          back: { state: 'active', failingSince: ago(HOUR), failingAlerted: true },
          quiet: { state: 'active', failingSince: ago(60_000) },
        })[id] as WebhookHealthState,
      now,
      DISABLE_AFTER,
      FAILING_AFTER,
    );
    expect(sut.alert).toEqual(['long']);
    expect(sut.alertThreshold).toEqual(ago(FAILING_AFTER));
    expect(sut.recovered).toEqual(['back', 'quiet']);
    expect(sut.recoveredAfterAlert).toEqual(['back']);
  });

  it('counts no pings', () => {
    const sut = changes(
      [
        { webhookId: 'a', ping: true, verdict: 'failed' },
        { webhookId: 'b', ping: true, verdict: 'gone' },
        { webhookId: 'c', ping: true, verdict: 'succeeded' },
      ],
      { a: healthy, b: healthy, c: { state: 'active', failingSince: ago(HOUR) } },
    );
    expect(sut).toMatchObject({ recovered: [], gone: [], startFailing: [], overdue: [] });
  });

  it('gives the run in whole hours in the reason', () => {
    expect(failingReason(90 * 60_000)).toBe('failing continuously for 2h');
  });
});
