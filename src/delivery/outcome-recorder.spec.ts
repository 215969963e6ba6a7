import { Counter, Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Completion } from './delivery.queue.js';
import type { StatementLimits } from './outcome-batches.js';
import { OutcomeRecorder, type OutcomeWriter, type RecorderEvents } from './outcome-recorder.js';
import { EXTEND_AFTER_MS } from './unwritten-outcomes.js';

const LEASE_MS = 20_000;

/** Two outcomes per write (see `batchLimits`: 64 bound values kept, 11 per outcome). */
const TWO_PER_WRITE: StatementLimits = { maxBytes: 1 << 30, maxVariables: 64 + 2 * 11 };

/**
 * The database, as the recorder sees it: writes that fail while `down`, and that commit a batch
 * once (a batch tried again with `recheck` skips what an earlier try committed).
 */
class FakeWriter implements OutcomeWriter {
  /** Writes of outcomes fail (the attempt log refuses them, the database is away). */
  down = false;
  /** Lease extensions fail too. */
  leasesDown = false;
  /** Fails the next write after committing it, as a connection lost on COMMIT would. */
  loseNextCommit = false;
  readonly tries: { ids: string[]; recheck: boolean }[] = [];
  readonly committed: string[] = [];
  readonly extended: string[][] = [];
  /** While set, a write waits for it before it commits. */
  gate: Promise<void> | undefined;

  constructor(
    private readonly limits: StatementLimits = { maxBytes: 1 << 30, maxVariables: 1e6 },
  ) {}

  statementLimits(): Promise<StatementLimits> {
    return Promise.resolve(this.limits);
  }

  async write(completions: Completion[], recheck: boolean) {
    const ids = completions.map(({ delivery }) => delivery.id);
    this.tries.push({ ids, recheck });
    await this.gate;
    if (this.down) throw new Error('connection refused');
    const fresh = recheck ? ids.filter((id) => !this.committed.includes(id)) : ids;
    this.committed.push(...fresh);
    if (this.loseNextCommit) {
      this.loseNextCommit = false;
      throw new Error('connection lost');
    }
    return { recorded: completions, promoted: 0 };
  }

  extendLeases(ids: string[]): Promise<void> {
    if (this.leasesDown) return Promise.reject(new Error('lock wait timeout'));
    this.extended.push(ids);
    return Promise.resolve();
  }
}

function completion(id: string, succeeded = true): Completion {
  return {
    delivery: {
      id,
      webhookId: 'w1',
      channelId: null,
      event: 'channel.started',
      messageId: `msg_${id}`,
      body: '{}',
      attempts: 0,
      maxAttempts: 5,
      test: false,
    },
    result: {
      at: new Date(0),
      statusCode: succeeded ? 200 : 500,
      durationMs: 12,
      error: null,
      responseBody: 'ok',
      requestHeaders: null,
      responseHeaders: null,
    },
    decision: succeeded ? { kind: 'succeeded' } : { kind: 'retry', waitMs: 1000 },
  };
}

/** A recorder over `writer`, with its clock, its waits between tries and what it logged. */
function recorder(writer: FakeWriter) {
  const clock = { ms: 0 };
  /** Waits between tries: each ends when the test says so. */
  const waits: (() => void)[] = [];
  const lines: unknown[] = [];
  const warnings: string[] = [];
  const told = { resumed: 0, promoted: 0, settled: 0 };
  const events: RecorderEvents = {
    resumed: () => told.resumed++,
    promoted: () => told.promoted++,
    settled: () => told.settled++,
  };
  const deliveries = new Counter({
    name: 'deliveries_total',
    help: 'test',
    labelNames: ['event', 'outcome'] as const,
    registers: [],
  });
  const sut = new OutcomeRecorder(
    writer,
    { deliveries, attemptDuration: new Histogram({ name: 'd', help: 'test', registers: [] }) },
    { log: (line: unknown) => lines.push(line), warn: (line: string) => warnings.push(line) },
    events,
    {
      leaseMs: LEASE_MS,
      now: () => clock.ms,
      sleep: () => new Promise<void>((resolve) => waits.push(resolve)),
    },
  );
  /** Ends the wait before the next try, once the recorder is in it. */
  const retry = async () => {
    await until(() => waits.length > 0);
    waits.shift()?.();
  };
  return { sut, clock, lines, warnings, told, deliveries, retry };
}

/** Lets the recorder's promises run until `done` holds (a bounded number of turns). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn++) await new Promise(setImmediate);
  expect(done()).toBe(true);
}

describe('OutcomeRecorder', () => {
  it('writes an outcome at once when it is the only attempt in flight', async () => {
    const writer = new FakeWriter();
    const { sut, lines, told } = recorder(writer);
    sut.complete(completion('1'), 1);
    await until(() => told.settled === 1);
    expect(writer.tries).toEqual([{ ids: ['1'], recheck: false }]);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'delivery attempt', deliveryId: '1', outcome: 'succeeded' }),
    ]);
  });

  it('writes in batches that fit one write each, oldest first', async () => {
    const writer = new FakeWriter(TWO_PER_WRITE);
    const { sut, deliveries } = recorder(writer);
    for (const id of ['1', '2', '3', '4', '5']) sut.complete(completion(id), 5);
    expect(sut.waiting).toBe(5);
    await sut.drain();
    expect(writer.tries.map((attempt) => attempt.ids)).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(sut.waiting).toBe(0);
    const counted = await deliveries.get();
    expect(counted.values).toEqual([
      expect.objectContaining({
        value: 5,
        labels: { event: 'channel.started', outcome: 'succeeded' },
      }),
    ]);
  });

  it('keeps a batch that fails and tries it again until written: nothing lost, nothing twice', async () => {
    const writer = new FakeWriter();
    const { sut, retry, warnings, told } = recorder(writer);
    writer.down = true;
    sut.complete(completion('1'), 1);
    await until(() => sut.failing);
    expect(sut.waiting).toBe(1);
    expect(warnings).toEqual([
      expect.stringContaining('Writing 1 outcome(s) failed; they are kept'),
    ]);
    sut.complete(completion('2', false), 1);
    await retry(); // the database is still away
    await until(() => writer.tries.length === 2);
    writer.down = false;
    await retry();
    await sut.drain();
    expect(sut.failing).toBe(false);
    expect(told.resumed).toBe(1);
    expect(writer.tries).toEqual([
      { ids: ['1'], recheck: false },
      { ids: ['1', '2'], recheck: true },
      { ids: ['1', '2'], recheck: true },
    ]);
    expect(writer.committed).toEqual(['1', '2']);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toBe('Outcomes written again after 2 failed tries; deliveries resume');
  });

  it('tries a write whose commit went unanswered again with a recheck, so it is not logged twice', async () => {
    const writer = new FakeWriter();
    const { sut, retry } = recorder(writer);
    writer.loseNextCommit = true;
    sut.complete(completion('1'), 1);
    await retry();
    await sut.drain();
    expect(writer.tries).toEqual([
      { ids: ['1'], recheck: false },
      { ids: ['1'], recheck: true },
    ]);
    expect(writer.committed).toEqual(['1']);
  });

  it('extends the leases of outcomes kept unwritten, again every quarter of a lease', async () => {
    const writer = new FakeWriter();
    const { sut, clock, retry } = recorder(writer);
    writer.down = true;
    sut.complete(completion('1'), 1);
    await until(() => sut.failing);
    await sut.keepLeases();
    expect(writer.extended).toEqual([]); // written in the usual time, perhaps
    clock.ms = EXTEND_AFTER_MS;
    writer.leasesDown = true;
    await sut.keepLeases();
    expect(writer.extended).toEqual([]); // tried again at the next check
    writer.leasesDown = false;
    await sut.keepLeases();
    expect(writer.extended).toEqual([['1']]);
    clock.ms += LEASE_MS / 4 - 1;
    await sut.keepLeases();
    expect(writer.extended).toHaveLength(1);
    clock.ms += 1;
    await sut.keepLeases();
    expect(writer.extended).toEqual([['1'], ['1']]);
    writer.down = false;
    await retry();
    await sut.drain();
    clock.ms += LEASE_MS;
    await sut.keepLeases();
    expect(writer.extended).toHaveLength(2);
  });

  it('extends the leases of a batch being written for long', async () => {
    const writer = new FakeWriter();
    const { sut, clock } = recorder(writer);
    let open = () => {};
    writer.gate = new Promise((resolve) => (open = resolve));
    sut.complete(completion('1'), 1);
    await until(() => writer.tries.length === 1);
    clock.ms = EXTEND_AFTER_MS;
    await sut.keepLeases();
    expect(writer.extended).toEqual([['1']]);
    open();
    await sut.drain();
    expect(writer.committed).toEqual(['1']);
  });

  it('drains: resolves once every outcome, the batch being written included, is written', async () => {
    const writer = new FakeWriter(TWO_PER_WRITE);
    const { sut } = recorder(writer);
    let open = () => {};
    writer.gate = new Promise((resolve) => (open = resolve));
    sut.complete(completion('1'), 1);
    for (const id of ['2', '3', '4']) sut.complete(completion(id), 3);
    let drained = false;
    const draining = sut.drain().then(() => (drained = true));
    await until(() => writer.tries.length === 1);
    expect(drained).toBe(false);
    open();
    await draining;
    expect(writer.committed).toEqual(['1', '2', '3', '4']);
  });

  it('gives up on what is unwritten when abandoned, and answers which deliveries those are', async () => {
    const writer = new FakeWriter();
    const { sut, retry, told } = recorder(writer);
    writer.down = true;
    sut.complete(completion('1'), 1);
    sut.complete(completion('2'), 2);
    await until(() => sut.failing);
    expect(sut.abandon()).toEqual(['1', '2']);
    await retry();
    await until(() => told.settled === 1);
    expect(writer.tries).toHaveLength(1);
    await sut.keepLeases();
    expect(writer.extended).toEqual([]);
  });

  it('ends a drain still running when it is abandoned, what is unwritten left unwritten', async () => {
    const writer = new FakeWriter();
    const { sut, retry } = recorder(writer);
    writer.down = true;
    sut.complete(completion('1'), 1);
    await until(() => sut.failing);
    let drained = false;
    const draining = sut.drain().then(() => (drained = true));
    sut.abandon();
    await retry();
    await until(() => drained);
    await draining;
    expect(writer.committed).toEqual([]);
  });
});
