/**
 * The line rule, as pure functions of plain data: the deliveries of one (webhook, channel) form a
 * line whose head alone is sendable; the others wait behind it in order and are promoted one at a
 * time, oldest first. Fan-out, recovery and redelivery ask `join` where their deliveries go;
 * finishing a head and repairing a line ask `nextHeads` which delivery is sent next. The queue's
 * statements write what these answer.
 */

/** The line a delivery belongs to. */
export interface LineOf {
  webhookId: string;
  channelId: string;
}

/** A delivery joining its line: a new one (fan-out) or one sent again (recover, redeliver). */
export interface Joining extends LineOf {
  /** Its place in its line: lower goes first. */
  order: bigint;
}

/** A delivery already open (pending or waiting) on a line. */
export interface OpenDelivery extends LineOf {
  id: string;
  /** Already marked as having a follower: not marked again. */
  hasFollowers?: boolean;
  /**
   * Its place among the joining deliveries, where it may come after some of them (a delivery sent
   * again keeps its id). Left out, it comes before them all: new deliveries join at the back.
   */
  order?: bigint;
}

/** Where a joining delivery goes. */
export interface Placement {
  /** The first of its line, and the line has nothing open: sendable at once. */
  head: boolean;
  /** A later delivery of its line is open or joins with it: finishing it promotes the next. */
  hasFollowers: boolean;
}

/** What joining changes. */
export interface Joined {
  /** One per joining delivery, in the order they were given. */
  placements: Placement[];
  /** The open deliveries that now have a follower (ids, each once). */
  followed: string[];
}

/** A line's key for maps: webhook and channel. */
export function lineKey(line: LineOf): string {
  return `${line.webhookId}:${line.channelId}`;
}

/**
 * Places deliveries joining their lines. Per line, the first joining one (by order) is the head
 * when nothing of the line is open; otherwise all wait, behind whatever is open, so a head already
 * open is never overtaken. Every joining delivery with a later one of its line (joining, or open
 * with a known later place) has followers, and so has every open delivery of a line joined.
 */
export function join(joining: readonly Joining[], open: readonly OpenDelivery[]): Joined {
  const openOf = groupByLine(open);
  const byOrder = joining
    .map((delivery, index) => ({ delivery, index }))
    .sort((a, b) => compare(a.delivery.order, b.delivery.order) || a.index - b.index);
  const placements = joining.map(() => ({ head: false, hasFollowers: false }));
  const lastOf = new Map<string, Placement>();
  const joined = new Set<string>();
  for (const { delivery, index } of byOrder) {
    const key = lineKey(delivery);
    const placement = placements[index];
    const before = lastOf.get(key);
    if (before) before.hasFollowers = true;
    placement.head = before === undefined && !openOf.has(key);
    placement.hasFollowers = (openOf.get(key) ?? []).some(
      (other) => other.order !== undefined && other.order > delivery.order,
    );
    lastOf.set(key, placement);
    joined.add(key);
  }
  const followed = new Set(
    open
      .filter((delivery) => joined.has(lineKey(delivery)) && !delivery.hasFollowers)
      .map((delivery) => delivery.id),
  );
  return { placements, followed: [...followed] };
}

/** A delivery open on a line, as promotion sees it. */
export interface LineMember extends LineOf {
  id: string;
  /** Its place in its line: lower goes first. */
  order: bigint;
  /** The line's head (pending); the others wait. */
  head: boolean;
}

/**
 * The next head of each line that has none: its first waiting delivery by order. A line whose
 * head is open gets none. Answers ids, one per line.
 */
export function nextHeads(open: readonly LineMember[]): string[] {
  const next: string[] = [];
  for (const members of groupByLine(open).values()) {
    if (members.some((member) => member.head)) continue;
    const first = members.reduce((oldest, member) =>
      member.order < oldest.order ? member : oldest,
    );
    next.push(first.id);
  }
  return next;
}

function groupByLine<T extends LineOf>(deliveries: readonly T[]): Map<string, T[]> {
  const lines = new Map<string, T[]>();
  for (const delivery of deliveries) {
    const key = lineKey(delivery);
    const members = lines.get(key);
    if (members) members.push(delivery);
    else lines.set(key, [delivery]);
  }
  return lines;
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
