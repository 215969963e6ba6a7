import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Joining,
  join,
  lineKey,
  type LineMember,
  nextHeads,
  type OpenDelivery,
} from './lines.js';

const line = (webhookId: string, channelId = 'c') => ({ webhookId, channelId });

/** Few webhooks and channels, so that lines are shared often. */
const lineArb = fc.record({
  webhookId: fc.constantFrom('1', '2', '3'),
  channelId: fc.constantFrom('a', 'b'),
});

/** Deliveries joining in any order (distinct order keys), and what is open on their lines. */
const joinArb = fc.record({
  joining: fc.uniqueArray(fc.record({ line: lineArb, order: fc.bigInt(0n, 1000n) }), {
    selector: (entry) => entry.order,
    maxLength: 30,
  }),
  open: fc.uniqueArray(
    fc.record({ line: lineArb, id: fc.integer({ min: 1, max: 1000 }), hasFollowers: fc.boolean() }),
    { selector: (entry) => entry.id, maxLength: 10 },
  ),
});

function joiningOf(entries: { line: { webhookId: string; channelId: string }; order: bigint }[]) {
  return entries.map(({ line: of, order }): Joining => ({ ...of, order }));
}

function openOf(
  entries: { line: { webhookId: string; channelId: string }; id: number; hasFollowers: boolean }[],
) {
  return entries.map(({ line: of, id, hasFollowers }): OpenDelivery => ({
    ...of,
    id: String(id),
    hasFollowers,
  }));
}

describe('join', () => {
  it('makes the first of an empty line its head and the rest wait behind it, each followed by the next', () => {
    const { placements, followed } = join(
      [
        { ...line('1'), order: 3n },
        { ...line('2'), order: 1n },
        { ...line('1'), order: 2n },
      ],
      [],
    );
    expect(placements).toEqual([
      { head: false, hasFollowers: false },
      { head: true, hasFollowers: false },
      { head: true, hasFollowers: true },
    ]);
    expect(followed).toEqual([]);
  });

  it('queues behind an open line and marks its open deliveries not yet followed', () => {
    const { placements, followed } = join(
      [{ ...line('1'), order: 10n }],
      [
        { ...line('1'), id: '4', hasFollowers: true },
        { ...line('1'), id: '5' },
        { ...line('2'), id: '6' },
      ],
    );
    expect(placements).toEqual([{ head: false, hasFollowers: false }]);
    expect(followed).toEqual(['5']);
  });

  it('gives a delivery sent again followers when an open one of its line comes after it', () => {
    const open = [{ ...line('1'), id: '8', order: 8n }];
    expect(join([{ ...line('1'), order: 5n }], open).placements[0].hasFollowers).toBe(true);
    expect(join([{ ...line('1'), order: 9n }], open).placements[0].hasFollowers).toBe(false);
  });

  it('keeps the line rule for any deliveries joining any lines', () => {
    fc.assert(
      fc.property(joinArb, ({ joining: joiningEntries, open: openEntries }) => {
        const joining = joiningOf(joiningEntries);
        const open = openOf(openEntries);
        const { placements, followed } = join(joining, open);
        const busy = new Set(open.map(lineKey));
        // Nothing lost or duplicated: one placement per joining delivery.
        expect(placements).toHaveLength(joining.length);
        const lines = new Map<string, number[]>();
        joining.forEach((delivery, index) =>
          lines.set(lineKey(delivery), [...(lines.get(lineKey(delivery)) ?? []), index]),
        );
        for (const [key, members] of lines) {
          const inOrder = [...members].sort((a, b) => Number(joining[a].order - joining[b].order));
          const heads = members.filter((index) => placements[index].head);
          if (busy.has(key)) {
            // A line that already has something open gets no new head.
            expect(heads).toEqual([]);
          } else {
            // Exactly one head, the first of its line in order.
            expect(heads).toEqual([inOrder[0]]);
          }
          // All but the last in order have followers; the last has none (no open one has a place).
          inOrder.forEach((index, position) =>
            expect(placements[index].hasFollowers).toBe(position < inOrder.length - 1),
          );
        }
        // The open deliveries followed: those of joined lines not yet marked, each once.
        const expected = open
          .filter((delivery) => lines.has(lineKey(delivery)) && !delivery.hasFollowers)
          .map((delivery) => delivery.id);
        expect(followed).toEqual(expected);
        expect(new Set(followed).size).toBe(followed.length);
      }),
    );
  });
});

describe('nextHeads', () => {
  it('promotes the oldest waiting delivery of each line without a head', () => {
    const members: LineMember[] = [
      { ...line('1'), id: '7', order: 7n, head: false },
      { ...line('1'), id: '3', order: 3n, head: false },
      { ...line('2'), id: '4', order: 4n, head: true },
      { ...line('2'), id: '5', order: 5n, head: false },
    ];
    expect(nextHeads(members)).toEqual(['3']);
    expect(nextHeads([])).toEqual([]);
  });

  it('picks, for any open deliveries, the oldest waiting one of each line with no head, once', () => {
    const membersArb = fc.uniqueArray(
      fc.record({ line: lineArb, id: fc.integer({ min: 1, max: 1000 }), head: fc.boolean() }),
      { selector: (entry) => entry.id, maxLength: 30 },
    );
    fc.assert(
      fc.property(membersArb, (entries) => {
        const members = entries.map(({ line: of, id, head }): LineMember => ({
          ...of,
          id: String(id),
          order: BigInt(id),
          head,
        }));
        const next = nextHeads(members);
        expect(new Set(next).size).toBe(next.length);
        const lines = new Set(members.map(lineKey));
        for (const key of lines) {
          const ofLine = members.filter((member) => lineKey(member) === key);
          const promoted = ofLine.filter((member) => next.includes(member.id));
          if (ofLine.some((member) => member.head)) {
            expect(promoted).toEqual([]);
          } else {
            const oldest = Math.min(...ofLine.map((member) => Number(member.id)));
            expect(promoted.map((member) => member.id)).toEqual([String(oldest)]);
          }
        }
      }),
    );
  });
});

/** One delivery as the model of the queue stores it. */
interface Stored {
  id: number;
  webhookId: string;
  channelId: string;
  status: 'pending' | 'waiting' | 'done';
  hasFollowers: boolean;
}

type Step =
  | { kind: 'fanOut'; lines: { webhookId: string; channelId: string }[] }
  | { kind: 'finish'; line: { webhookId: string; channelId: string } }
  | { kind: 'redeliver'; pick: number };

/**
 * A model of the queue driven by these functions as the queue drives them: fan-out joins new
 * deliveries, a finished head with followers promotes the next, a finished delivery sent again
 * rejoins its line by its id.
 */
class LineModel {
  readonly rows: Stored[] = [];
  readonly sent: number[] = [];

  apply(step: Step): void {
    if (step.kind === 'fanOut') this.fanOut(step.lines);
    else if (step.kind === 'finish') this.finish(step.line);
    else this.redeliver(step.pick);
  }

  private open(): Stored[] {
    return this.rows.filter((row) => row.status !== 'done');
  }

  private fanOut(lines: { webhookId: string; channelId: string }[]): void {
    const first = this.rows.length + 1;
    const { placements, followed } = join(
      lines.map((of, index) => ({ ...of, order: BigInt(first + index) })),
      this.open().map((row) => ({ ...row, id: String(row.id) })),
    );
    this.markFollowed(followed);
    lines.forEach((of, index) =>
      this.rows.push({
        id: first + index,
        ...of,
        status: placements[index].head ? 'pending' : 'waiting',
        hasFollowers: placements[index].hasFollowers,
      }),
    );
  }

  private finish(of: { webhookId: string; channelId: string }): void {
    const head = this.open().find(
      (row) => row.status === 'pending' && lineKey(row) === lineKey(of),
    );
    if (!head) return;
    head.status = 'done';
    this.sent.push(head.id);
    if (!head.hasFollowers) return;
    const next = nextHeads(
      this.open()
        .filter((row) => lineKey(row) === lineKey(of))
        .map((row) => ({
          ...row,
          id: String(row.id),
          order: BigInt(row.id),
          head: row.status === 'pending',
        })),
    );
    for (const id of next) this.rows[Number(id) - 1].status = 'pending';
  }

  private redeliver(pick: number): void {
    const done = this.rows.filter((row) => row.status === 'done');
    if (done.length === 0) return;
    const row = done[pick % done.length];
    const open = this.open().filter((other) => lineKey(other) === lineKey(row));
    const { placements, followed } = join(
      [{ ...row, order: BigInt(row.id) }],
      open.map((other) => ({ ...other, id: String(other.id), order: BigInt(other.id) })),
    );
    this.markFollowed(followed);
    row.status = placements[0].head ? 'pending' : 'waiting';
    if (open.length > 0) row.hasFollowers = placements[0].hasFollowers;
  }

  private markFollowed(ids: string[]): void {
    for (const id of ids) this.rows[Number(id) - 1].hasFollowers = true;
  }
}

describe('the line rule over time', () => {
  /** Two lines: each step meets the other's deliveries often. */
  const twoLines = fc.record({
    webhookId: fc.constantFrom('1', '2'),
    channelId: fc.constant('a'),
  });
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('fanOut' as const),
      lines: fc.array(twoLines, { maxLength: 4 }),
    }),
    fc.record({ kind: fc.constant('finish' as const), line: twoLines }),
    fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat() }),
  );

  it('leaves every line with something open exactly one head, and sends new deliveries in order', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        const model = new LineModel();
        for (const step of steps) {
          model.apply(step);
          const lines = new Map<string, Stored[]>();
          for (const row of model.rows.filter((stored) => stored.status !== 'done')) {
            lines.set(lineKey(row), [...(lines.get(lineKey(row)) ?? []), row]);
          }
          for (const open of lines.values()) {
            expect(open.filter((row) => row.status === 'pending')).toHaveLength(1);
          }
        }
        if (!steps.some((step) => step.kind === 'redeliver')) {
          // Without redelivery each line is sent in the order fan-out wrote it.
          const byLine = new Map<string, number[]>();
          for (const id of model.sent) {
            const key = lineKey(model.rows[id - 1]);
            byLine.set(key, [...(byLine.get(key) ?? []), id]);
          }
          for (const ids of byLine.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
