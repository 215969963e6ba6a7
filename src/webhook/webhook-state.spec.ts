import { describe, expect, it } from 'vitest';
import {
  attemptPlan,
  disabledFor,
  isActive,
  putActive,
  REASON_MAX_LENGTH,
  shownReason,
  summaryState,
  WEBHOOK_STATES,
} from './webhook-state.js';

describe('putActive', () => {
  it('makes a webhook active with no failing run and no reason', () => {
    expect(putActive(true)).toEqual({
      state: 'active',
      disabledReason: null,
      failingSince: null,
      failingAlerted: false,
    });
  });

  it('pauses a webhook with no reason, leaving its failing run as it is', () => {
    const sut = putActive(false);
    expect(sut).toEqual({ state: 'paused', disabledReason: null });
    expect('failingSince' in sut).toBe(false);
  });
});

describe('disabledFor', () => {
  it('disables with the reason beside it, cut to what the table keeps', () => {
    expect(disabledFor('the receiver answered 410 Gone')).toEqual({
      state: 'disabled',
      disabledReason: 'the receiver answered 410 Gone',
    });
    expect(disabledFor('x'.repeat(300)).disabledReason).toHaveLength(REASON_MAX_LENGTH);
  });
});

describe('isActive', () => {
  it('is true of active webhooks only', () => {
    expect(WEBHOOK_STATES.filter(isActive)).toEqual(['active']);
  });
});

describe('attemptPlan', () => {
  it('sends to an active webhook, holds for a paused one and fails for a disabled one', () => {
    expect(WEBHOOK_STATES.map((state) => attemptPlan(state, false))).toEqual([
      'send',
      'hold',
      'fail',
    ]);
  });

  it('sends a ping whatever the state', () => {
    expect(WEBHOOK_STATES.map((state) => attemptPlan(state, true))).toEqual([
      'send',
      'send',
      'send',
    ]);
  });
});

describe('summaryState', () => {
  it('tells a failing active webhook from a healthy one', () => {
    expect(summaryState('active', false)).toBe('healthy');
    expect(summaryState('active', true)).toBe('failing');
  });

  it('shows paused and disabled webhooks as such, whatever their last attempt', () => {
    for (const failed of [false, true]) {
      expect(summaryState('paused', failed)).toBe('paused');
      expect(summaryState('disabled', failed)).toBe('disabled');
    }
  });
});

describe('shownReason', () => {
  it('shows the reason of a disabled webhook only', () => {
    expect(shownReason('disabled', 'failing continuously for 120h')).toBe(
      'failing continuously for 120h',
    );
    expect(shownReason('paused', 'left from before')).toBeNull();
    expect(shownReason('active', 'left from before')).toBeNull();
  });
});
