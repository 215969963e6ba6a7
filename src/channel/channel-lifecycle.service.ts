import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  ChannelEventRepository,
  type NewChannelEvent,
} from '../channel-events/channel-event.repository.js';
import { ChannelEventBus, type ChannelEventRecorded } from '../channel-events/channel-events.js';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { conflict } from '../common/errors.js';
import { type Pipeline, SequentialPipeline } from '../database/pipeline.js';
import { Transactions } from '../database/transactions.js';
import { ChannelMetrics } from './channel.metrics.js';
import { ChannelEntity, type ChannelStatus } from './channel.entity.js';
import {
  type ChannelChanges,
  ChannelRepository,
  type SavedTransition,
} from './channel.repository.js';
import { toChannelDto } from './channel-view.js';

export type PublishOutcome = 'live' | 'unknown-key' | 'already-live';
export type UnpublishOutcome = 'stopped' | 'unknown-key' | 'not-live';

export interface TransitionResult<O extends string> {
  outcome: O;
  channelId?: string;
  events: ChannelEventRecorded[];
}

/** Which states each transition leaves from. */
const FROM: Record<'live' | 'stopped' | 'ended', ChannelStatus[]> = {
  live: ['idle', 'ended', 'stopped'],
  stopped: ['live'],
  ended: ['live', 'stopped'],
};

/** The event each transition raises. */
const EVENT_OF: Record<'live' | 'stopped' | 'ended', ChannelEventName> = {
  live: 'channel_live',
  stopped: 'channel_stop',
  ended: 'channel_ended',
};

/** Hooks handled together in one transaction, at most. */
const HOOKS_PER_BATCH = 200;

interface Hook {
  kind: 'publish' | 'unpublish';
  streamKey: string;
  now: Date;
  resolve: (result: TransitionResult<PublishOutcome | UnpublishOutcome>) => void;
  reject: (error: Error) => void;
}

/**
 * A unit of work's transitions: the channels as they end up (and the state each left from), and
 * the events, in the order they happened. Written with one UPDATE and one INSERT.
 */
class Changes {
  readonly channels = new Map<string, SavedTransition>();
  readonly events: NewChannelEvent[] = [];

  /** The channel as this unit of work has left it so far. */
  current(channel: ChannelEntity): ChannelEntity {
    return this.channels.get(channel.id)?.channel ?? channel;
  }

  /** One transition: the state change and its outbox event (the channel as GET shows it now). */
  apply(
    channel: ChannelEntity,
    to: 'live' | 'stopped' | 'ended',
    now: Date,
    eventTime: number,
    changes: ChannelChanges,
  ): ChannelEntity {
    const from = this.current(channel);
    if (!FROM[to].includes(from.status))
      throw new Error(`no transition from ${from.status} to ${to}`);
    const next = Object.assign(new ChannelEntity(), from, changes, { status: to, updatedAt: now });
    const original = this.channels.get(channel.id)?.from ?? channel.status;
    this.channels.set(channel.id, { channel: next, from: original });
    const name = EVENT_OF[to];
    this.events.push({
      name,
      channelId: channel.id,
      sessionId: next.sessionId,
      eventTime,
      body: JSON.stringify({ event: name, eventTime, ...toChannelDto(next) }),
      createdAt: now,
    });
    return next;
  }
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
  ) {}

  /** A publisher connected: idle/ended → live (new session), stopped → live (same session). */
  publish(streamKey: string, now = new Date()): Promise<TransitionResult<PublishOutcome>> {
    return this.enqueue('publish', streamKey, now) as Promise<TransitionResult<PublishOutcome>>;
  }

  /** The publisher left: live → stopped, and the reconnect window starts. */
  unpublish(streamKey: string, now = new Date()): Promise<TransitionResult<UnpublishOutcome>> {
    return this.enqueue('unpublish', streamKey, now) as Promise<TransitionResult<UnpublishOutcome>>;
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
    const ended = this.endSession(changes, channel, now);
    const [event] = await this.writeAndCommit(new SequentialPipeline(manager), changes);
    return { channel: ended, event };
  }

  /**
   * Ends stopped channels whose reconnect window has run out, each with eventTime = when it fell
   * due. SKIP LOCKED on MySQL lets several instances scan at once; the guard makes it happen once.
   */
  /** The media server of a live channel is still there (nginx-rtmp on_update, action "update"). */
  async touch(streamKey: string, now = new Date()): Promise<'live' | 'not-live'> {
    return (await this.channels.touch(streamKey, now)) ? 'live' : 'not-live';
  }

  /**
   * Stops live channels whose media server has not been heard from since `before`, as if their
   * publish_done had come when it was last seen: channel_stop at that time, and the reconnect
   * window from then. Answers how many.
   */
  stopStale(before: Date, limit = 100): Promise<number> {
    return this.transitionLocked(
      (tx) => this.channels.lockStaleLive(tx, before, limit),
      (changes, channel) => this.applyUnpublish(changes, channel, channel.lastSeenAt ?? before),
    );
  }

  /** Ends stopped channels whose reconnect window ran out by `now`, as of when it ran out. */
  expireDue(now = new Date(), limit = 100): Promise<number> {
    return this.transitionLocked(
      (tx) => this.channels.lockDueStopped(tx, now, limit),
      (changes, channel) => this.endSession(changes, channel, channel.endDueAt ?? now),
    );
  }

  /** Applies a transition to each channel `lock` finds, in one transaction; answers how many. */
  private async transitionLocked(
    lock: (tx: Pipeline) => Promise<ChannelEntity[]>,
    apply: (changes: Changes, channel: ChannelEntity) => void,
  ): Promise<number> {
    const events = await this.transactions.pipeline(async (tx) => {
      const changes = new Changes();
      for (const channel of await lock(tx)) apply(changes, channel);
      return this.writeAndCommit(tx, changes);
    });
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

  private enqueue(
    kind: Hook['kind'],
    streamKey: string,
    now: Date,
  ): Promise<TransitionResult<PublishOutcome | UnpublishOutcome>> {
    return new Promise((resolve, reject) => {
      this.hooks.push({ kind, streamKey, now, resolve, reject });
      this.applying ??= this.applyAll();
    });
  }

  /** One batch at a time; hooks that arrive meanwhile wait for the next. */
  private async applyAll(): Promise<void> {
    // Hooks raised in the same turn of the event loop share the first batch.
    await Promise.resolve();
    while (this.hooks.length > 0) await this.applyBatch(this.hooks.splice(0, HOOKS_PER_BATCH));
    // In the same step as the check above: a hook queued by a continuation of the last batch's
    // callers (after the check, before a later reset) would otherwise wait for the next hook.
    this.applying = undefined;
  }

  private async applyBatch(batch: Hook[]): Promise<void> {
    let results: TransitionResult<PublishOutcome | UnpublishOutcome>[];
    try {
      const applied = await this.transactions.pipeline(async (tx) => {
        const { byKey, bySessionKey } = await this.channels.lockByStreamKeys(
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
          if (!channel) return { outcome: 'unknown-key' as const, eventCount: 0 };
          const before = changes.events.length;
          const outcome =
            hook.kind === 'publish'
              ? this.applyPublish(changes, channel, hook.streamKey, hook.now)
              : this.applyUnpublish(changes, channel, hook.now);
          return { outcome, channelId: channel.id, eventCount: changes.events.length - before };
        });
        const events = await this.writeAndCommit(tx, changes);
        let next = 0;
        const perHook = outcomes.map(({ outcome, channelId, eventCount }) => ({
          outcome,
          channelId,
          events: events.slice(next, (next += eventCount)),
        }));
        return { events, perHook };
      });
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
  ): PublishOutcome {
    let channel = changes.current(locked);
    if (channel.status === 'live') return 'already-live';
    if (channel.status === 'stopped' && channel.endDueAt && channel.endDueAt <= now) {
      // The window ran out before the expiry scan got to it: that session ended when it fell due.
      channel = this.endSession(changes, channel, channel.endDueAt);
    }
    const reconnecting = channel.status === 'stopped';
    changes.apply(channel, 'live', now, now.getTime(), {
      sessionId: reconnecting ? channel.sessionId : randomUUID(),
      liveAt: reconnecting ? channel.liveAt : now,
      stoppedAt: reconnecting ? channel.stoppedAt : null,
      endDueAt: null,
      sessionStreamKey: streamKey,
      lastSeenAt: now,
    });
    return 'live';
  }

  private applyUnpublish(changes: Changes, locked: ChannelEntity, now: Date): UnpublishOutcome {
    const channel = changes.current(locked);
    if (channel.status !== 'live') return 'not-live';
    changes.apply(channel, 'stopped', now, now.getTime(), {
      stoppedAt: now,
      endDueAt: new Date(now.getTime() + channel.reconnectWindow * 1000),
    });
    return 'stopped';
  }

  private endSession(changes: Changes, channel: ChannelEntity, endedAt: Date): ChannelEntity {
    return changes.apply(channel, 'ended', new Date(), endedAt.getTime(), {
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
    const ids = await appended;
    return changes.events.map((event, index) => ({
      eventId: ids[index],
      name: event.name,
      channelId: event.channelId,
      sessionId: event.sessionId,
      eventTime: event.eventTime,
      body: event.body,
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
