import { Injectable, Logger } from '@nestjs/common';
import { type Context, context } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EntityManager } from 'typeorm';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { ChannelEventBus, type ChannelEventRecorded } from '../channel-events/channel-events.js';
import { conflict } from '../common/errors.js';
import { type Pipeline, SequentialPipeline } from '../database/pipeline.js';
import { Transactions } from '../database/transactions.js';
import { tracing, TrySpans } from '../tracing/tracing.js';
import { ChannelMetrics } from './channel.metrics.js';
import { ChannelEntity } from './channel.entity.js';
import {
  type ChannelChanges,
  ChannelRepository,
  type LockedChannels,
} from './channel.repository.js';
import { Changes } from './channel-changes.js';
import { StaleGrace, takeover } from './session-liveness.js';
import { hookSpans, transitionSpan } from './transition-span.js';

export type PublishOutcome = 'live' | 'unknown-key' | 'already-live';
export type UnpublishOutcome = 'stopped' | 'unknown-key' | 'not-live';

export interface TransitionResult<O extends string> {
  outcome: O;
  channelId?: string;
  events: ChannelEventRecorded[];
}

/** Hooks handled together in one transaction, at most. */
const HOOKS_PER_BATCH = 200;

/** Where a publish came from, and (for replays and tests) when it happened. */
export interface PublishFrom {
  /** The address of the media server that asked (the hook caller's, not the publisher's). */
  mediaServer?: string;
  /** When it happened; the database's clock by default. */
  at?: Date;
}

type ReviveOutcome = 'live' | 'not-live';
type HookOutcome = PublishOutcome | UnpublishOutcome | ReviveOutcome;

interface Hook {
  /** revive: an update from the publisher of a channel that is not live. */
  kind: 'publish' | 'unpublish' | 'revive';
  streamKey: string;
  /** undefined: the database's time. */
  at: Date | undefined;
  mediaServer?: string;
  /** The caller's trace context (its request's span), with tracing on. */
  context?: Context;
  resolve: (result: TransitionResult<HookOutcome>) => void;
  reject: (error: Error) => void;
}

/**
 * The channel state machine of channels.md. Every transition is a guarded update of a locked row
 * plus its outbox row, in one transaction; events are emitted in-process only after the commit.
 * A repeated or late hook changes nothing. Hooks that arrive together share one transaction (a
 * handful of statements, whatever their number): each is applied in arrival order, so two hooks
 * for one channel see each other as they would one after the other.
 */
@Injectable()
export class ChannelLifecycleService {
  private readonly logger = new Logger('ChannelLifecycle');
  private readonly hooks: Hook[] = [];
  private applying: Promise<void> | undefined;

  constructor(
    private readonly transactions: Transactions,
    private readonly channels: ChannelRepository,
    private readonly outbox: ChannelEventRepository,
    private readonly bus: ChannelEventBus,
    private readonly metrics: ChannelMetrics,
    private readonly grace: StaleGrace,
  ) {}

  /**
   * A publisher connected: idle/ended → live (new session), stopped → live (same session). On a
   * live channel whose publisher is known to be gone (see `takeover`) the old session is stopped
   * as of when it was last heard from, then the new publisher goes live as any publisher after a
   * stop would (a reconnect within the window, else a new session after the old one's end).
   */
  publish(streamKey: string, from: PublishFrom = {}): Promise<TransitionResult<PublishOutcome>> {
    return this.enqueue({
      kind: 'publish',
      streamKey,
      at: from.at,
      mediaServer: from.mediaServer,
    }) as Promise<TransitionResult<PublishOutcome>>;
  }

  /** The publisher left: live → stopped, and the reconnect window starts. */
  unpublish(streamKey: string, at?: Date): Promise<TransitionResult<UnpublishOutcome>> {
    return this.enqueue({ kind: 'unpublish', streamKey, at }) as Promise<
      TransitionResult<UnpublishOutcome>
    >;
  }

  /**
   * Ends the live session of a channel the caller holds locked (POST /end, DELETE), writing it in
   * the caller's transaction; a conflict unless it is live or stopped.
   */
  async endLocked(manager: EntityManager, channel: ChannelEntity, now: Date) {
    if (channel.status !== 'live' && channel.status !== 'stopped') {
      throw conflict(`channel "${channel.id}" is ${channel.status}, not live or stopped`);
    }
    const changes = new Changes();
    const ended = this.endSession(changes, channel, now, now);
    const spans = new TrySpans();
    return spans.run(async () => {
      if (tracing.on) {
        const attributes = { 'channel_webhooks.channel_id': channel.id };
        spans.replace([transitionSpan(changes, 0, 1, undefined, attributes)]);
      }
      const [event] = await this.writeAndCommit(new SequentialPipeline(manager), changes);
      return { channel: ended, event };
    });
  }

  /**
   * The media server of a live channel is still there (nginx-rtmp on_update, action "update"). A
   * channel the stale check stopped is live again (the same session) when its publisher reports
   * in within its reconnect window: it was the service that had not heard it.
   */
  async touch(streamKey: string, heardAt?: Date): Promise<'live' | 'not-live'> {
    if (await this.transactions.statement(() => this.channels.touch(streamKey, heardAt))) {
      return 'live';
    }
    if (this.grace.afterMs === undefined) return 'not-live';
    const revived = await this.enqueue({ kind: 'revive', streamKey, at: heardAt });
    return revived.outcome === 'live' ? 'live' : 'not-live';
  }

  /**
   * Stops live channels whose media server has not been heard from for `silentMs` (by the
   * database's clock, or as of `asOf`), as if their publish_done had come when it was last seen:
   * channel_stop at that time, and the reconnect window from then. Answers how many.
   */
  stopStale(silentMs: number, limit = 100, asOf?: Date): Promise<number> {
    return this.transitionLocked(
      (tx) => this.channels.lockStaleLive(tx, silentMs, limit, asOf),
      (changes, channel, now) =>
        this.applyUnpublish(changes, channel, now, channel.lastSeenAt ?? now, true),
    );
  }

  /**
   * Ends stopped channels whose reconnect window has run out (by the database's clock, or as of
   * `asOf`), each with eventTime = when it fell due. SKIP LOCKED on MySQL lets several instances
   * scan at once; the guard makes it happen once.
   */
  expireDue(limit = 100, asOf?: Date): Promise<number> {
    return this.transitionLocked(
      (tx) => this.channels.lockDueStopped(tx, limit, asOf),
      (changes, channel, now) => this.endSession(changes, channel, now, channel.endDueAt ?? now),
    );
  }

  /** Applies a transition to each channel `lock` finds, in one transaction; answers how many. */
  private async transitionLocked(
    lock: (tx: Pipeline) => Promise<LockedChannels>,
    apply: (changes: Changes, channel: ChannelEntity, now: Date) => void,
  ): Promise<number> {
    const spans = new TrySpans();
    const events = await spans.run(() =>
      this.transactions.pipeline(async (tx) => {
        const changes = new Changes();
        const { channels, now } = await lock(tx);
        for (const channel of channels) apply(changes, channel, now ?? new Date());
        // A scan's transitions, each event in this span's trace; none for a scan that found none.
        const { length } = changes.events;
        const attributes = { 'channel_webhooks.channels': channels.length };
        spans.replace(
          tracing.on && length > 0
            ? [transitionSpan(changes, 0, length, undefined, attributes)]
            : [],
        );
        return this.writeAndCommit(tx, changes);
      }),
    );
    this.emit(events);
    return events.length;
  }

  /** Runs a unit of work in a transaction, then emits what it recorded, in order. */
  async commitAndEmit<R extends { events: ChannelEventRecorded[] }>(
    work: (manager: EntityManager) => Promise<R>,
  ): Promise<R> {
    const result = await this.transactions.run(work);
    this.emit(result.events);
    return result;
  }

  private enqueue(hook: Omit<Hook, 'resolve' | 'reject'>): Promise<TransitionResult<HookOutcome>> {
    return new Promise((resolve, reject) => {
      const caller = tracing.on ? context.active() : undefined;
      this.hooks.push({ ...hook, context: caller, resolve, reject });
      this.applying ??= this.applyAll();
    });
  }

  /** One batch at a time; hooks that arrive meanwhile wait for the next. */
  private async applyAll(): Promise<void> {
    try {
      // Hooks raised together share the first batch.
      await this.transactions.gathered();
      while (this.hooks.length > 0) await this.applyBatch(this.hooks.splice(0, HOOKS_PER_BATCH));
    } finally {
      // In the same step as the last look at the queue: a hook enqueued after it starts a new run.
      this.applying = undefined;
    }
  }

  private async applyBatch(batch: Hook[]): Promise<void> {
    let results: TransitionResult<HookOutcome>[];
    const spans = new TrySpans();
    try {
      const applied = await spans.run(() =>
        this.transactions.pipeline(async (tx) => {
          const {
            channels: { byKey, bySessionKey },
            now: databaseNow,
          } = await this.channels.lockByStreamKeys(
            tx,
            batch.map((hook) => hook.streamKey),
          );
          const changes = new Changes();
          const outcomes = batch.map((hook) => {
            // Publishing needs the current key; a stop also comes with the key its session was
            // published with, even if the key was rotated since.
            const channel =
              hook.kind === 'publish'
                ? byKey.get(hook.streamKey)
                : (byKey.get(hook.streamKey) ?? bySessionKey.get(hook.streamKey));
            if (!channel) {
              return {
                outcome: hook.kind === 'revive' ? ('not-live' as const) : ('unknown-key' as const),
                eventCount: 0,
              };
            }
            const before = changes.events.length;
            const now = hook.at ?? databaseNow ?? new Date();
            const outcome =
              hook.kind === 'publish'
                ? this.applyPublish(changes, channel, hook.streamKey, now, hook.mediaServer)
                : hook.kind === 'revive'
                  ? this.applyRevive(changes, channel, now)
                  : this.applyUnpublish(changes, channel, now, now, false);
            return { outcome, channelId: channel.id, eventCount: changes.events.length - before };
          });
          spans.replace(hookSpans(changes, batch, outcomes));
          const events = await this.writeAndCommit(tx, changes);
          let next = 0;
          const perHook = outcomes.map(({ outcome, channelId, eventCount }) => ({
            outcome,
            channelId,
            events: events.slice(next, (next += eventCount)),
          }));
          return { events, perHook };
        }),
      );
      this.emit(applied.events);
      results = applied.perHook;
    } catch (error) {
      for (const hook of batch) hook.reject(error as Error);
      return;
    }
    batch.forEach((hook, index) => hook.resolve(results[index]));
  }

  private applyPublish(
    changes: Changes,
    locked: ChannelEntity,
    streamKey: string,
    now: Date,
    mediaServer: string | undefined,
  ): PublishOutcome {
    let channel = changes.current(locked);
    if (channel.status === 'live') {
      const reason = takeover(
        {
          lastSeenAt: channel.lastSeenAt,
          heartbeatMs: channel.heartbeatMs,
          mediaServer: channel.sessionMediaServer,
        },
        mediaServer,
        now,
        { afterMs: this.grace.afterMs, open: this.grace.open(performance.now()) },
      );
      if (!reason) return 'already-live';
      this.logger.log(
        `Channel ${channel.id}: a new publisher takes over session ${channel.sessionId} (${reason})`,
      );
      this.applyUnpublish(changes, channel, now, channel.lastSeenAt ?? now, false);
      channel = changes.current(locked);
    }
    if (channel.status === 'stopped' && channel.endDueAt && channel.endDueAt <= now) {
      // The window ran out before the expiry scan got to it: that session ended when it fell due.
      channel = this.endSession(changes, channel, now, channel.endDueAt);
    }
    this.goLive(changes, channel, now, {
      sessionStreamKey: streamKey,
      sessionMediaServer: mediaServer ?? null,
      heartbeatMs: null,
    });
    return 'live';
  }

  /** idle/ended → live with a new session; stopped → live, the same session (a reconnect). */
  private goLive(changes: Changes, channel: ChannelEntity, now: Date, more: ChannelChanges) {
    const reconnecting = channel.status === 'stopped';
    changes.apply(channel, 'live', now, now.getTime(), {
      sessionId: reconnecting ? channel.sessionId : randomUUID(),
      liveAt: reconnecting ? channel.liveAt : now,
      stoppedAt: reconnecting ? channel.stoppedAt : null,
      endDueAt: null,
      lastSeenAt: now,
      stoppedStale: false,
      ...more,
    });
  }

  /** A channel the stale check stopped hears from its publisher again, within its window. */
  private applyRevive(changes: Changes, locked: ChannelEntity, now: Date): ReviveOutcome {
    const channel = changes.current(locked);
    if (channel.status === 'live') return 'live';
    const revivable =
      channel.status === 'stopped' &&
      channel.stoppedStale === true &&
      channel.endDueAt !== null &&
      channel.endDueAt > now;
    if (!revivable) return 'not-live';
    this.goLive(changes, channel, now, {});
    return 'live';
  }

  /** live → stopped as of `stoppedAt` (when it was heard from last, for a stale or taken-over one). */
  private applyUnpublish(
    changes: Changes,
    locked: ChannelEntity,
    now: Date,
    stoppedAt: Date,
    stale: boolean,
  ): UnpublishOutcome {
    const channel = changes.current(locked);
    if (channel.status !== 'live') return 'not-live';
    changes.apply(channel, 'stopped', now, stoppedAt.getTime(), {
      stoppedAt,
      endDueAt: new Date(stoppedAt.getTime() + channel.reconnectWindow * 1000),
      stoppedStale: stale,
    });
    return 'stopped';
  }

  private endSession(
    changes: Changes,
    channel: ChannelEntity,
    now: Date,
    endedAt: Date,
  ): ChannelEntity {
    return changes.apply(channel, 'ended', now, endedAt.getTime(), {
      endedAt,
      endDueAt: null,
    });
  }

  /**
   * Writes a unit of work's transitions (checked before going on) and events (sent with the
   * commit), and commits; answers the events as emitted.
   */
  private async writeAndCommit(tx: Pipeline, changes: Changes): Promise<ChannelEventRecorded[]> {
    await this.channels.saveTransitions(tx, [...changes.channels.values()]);
    const appended = this.outbox.append(tx, changes.events);
    await tx.commit();
    const ids = await appended.result();
    return changes.events.map((event, index) => ({
      eventId: ids[index],
      name: event.name,
      channelId: event.channelId,
      sessionId: event.sessionId,
      eventTime: event.eventTime,
      body: event.body,
      traceParent: event.traceParent ?? null,
    }));
  }

  private emit(events: ChannelEventRecorded[]): void {
    for (const event of events) {
      this.metrics.events.inc({ event: event.name });
      try {
        this.bus.emit(event.name, event);
      } catch (error) {
        // The outbox row is committed; the sweeper will dispatch it.
        this.logger.error(
          `In-process emit of event ${event.eventId} failed`,
          (error as Error).stack,
        );
      }
    }
  }
}
