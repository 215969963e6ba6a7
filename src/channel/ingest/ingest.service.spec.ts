import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IngestDenials } from '../../common/rate-limit/ingest-denials.js';
import type { ChannelLifecycleService } from '../channel-lifecycle.service.js';
import { IngestService, UPDATE_ANSWER_WITHIN_MS } from './ingest.service.js';

const away = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** One channel's lifecycle over a database that can go away or stop answering. */
function setup() {
  const db = { reachable: true, hanging: false };
  const log: string[] = [];
  let status: 'idle' | 'live' | 'stopped' = 'live';
  const call = <T>(work: () => T): Promise<T> => {
    if (db.hanging) return new Promise<T>(() => undefined);
    if (!db.reachable) return Promise.reject(away());
    return Promise.resolve(work());
  };
  const lifecycle: Pick<ChannelLifecycleService, 'publish' | 'unpublish' | 'touch'> = {
    publish: (key: string) =>
      call(() => {
        log.push(`publish ${key}`);
        if (status === 'live') return { outcome: 'already-live', events: [] };
        status = 'live';
        return { outcome: 'live', events: [] };
      }),
    unpublish: (key: string, at?: Date) =>
      call(() => {
        log.push(`unpublish ${key} @${at?.toISOString() ?? 'the database clock'}`);
        if (status !== 'live') return { outcome: 'not-live', events: [] };
        status = 'stopped';
        return { outcome: 'stopped', events: [] };
      }),
    touch: (key: string, at?: Date) =>
      call(() => {
        log.push(`touch ${key} @${at?.toISOString() ?? 'the database clock'}`);
        return status === 'live' ? 'live' : 'not-live';
      }),
  };
  const denials: Pick<IngestDenials, 'assertAllowed' | 'record'> = {
    assertAllowed: () => undefined,
    record: () => Promise.resolve(),
  };
  const sut = new IngestService(lifecycle as ChannelLifecycleService, denials as IngestDenials);
  return { sut, db, log, lifecycle, status: () => status };
}

const T1 = new Date('2026-11-27T10:00:01.000Z');
const T2 = new Date('2026-11-27T10:00:02.000Z');

describe('IngestService while the database is away', () => {
  let sut: IngestService | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    vi.useRealTimers();
    await sut?.beforeApplicationShutdown();
  });

  it('answers an update at once and records it when the database is back', async () => {
    const t = setup();
    sut = t.sut;
    t.db.reachable = false;
    expect(await t.sut.update('key', T1)).toBe('pending');
    t.db.reachable = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.log).toEqual([`touch key @${T1.toISOString()}`]);
  });

  it('answers an update within UPDATE_ANSWER_WITHIN_MS when the database does not answer', async () => {
    const t = setup();
    sut = t.sut;
    t.db.hanging = true;
    const answer = t.sut.update('key', T1);
    await vi.advanceTimersByTimeAsync(UPDATE_ANSWER_WITHIN_MS);
    expect(await answer).toBe('pending');
  });

  it('keeps a stop, lets a publish of the key wait (503 meanwhile), then applies stop before publish', async () => {
    const t = setup();
    sut = t.sut;
    t.db.reachable = false;
    expect(await t.sut.unpublish('key', T1)).toBe('pending');
    // an update of the same key comes after the stop, never before it
    expect(await t.sut.update('key', T2)).toBe('pending');
    await expect(t.sut.publish('key', '198.51.100.7', '192.0.2.1')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(t.log).toEqual([]);

    t.db.reachable = true;
    expect(await t.sut.publish('key', '198.51.100.7', '192.0.2.1')).toBe('live');
    expect(t.log).toEqual([
      `unpublish key @${T1.toISOString()}`,
      `touch key @${T2.toISOString()}`,
      'publish key',
    ]);
    expect(t.status()).toBe('live');
  });

  it('records hooks directly when the database is there', async () => {
    const t = setup();
    sut = t.sut;
    expect(await t.sut.update('key', T1)).toBe('live');
    expect(await t.sut.unpublish('key', T2)).toBe('stopped');
    expect(await t.sut.update('key', T2)).toBe('not-live');
  });

  it('fails a stop for another reason than the database being away as before', async () => {
    const t = setup();
    sut = t.sut;
    const broken = new Error('no such column');
    t.lifecycle.unpublish = () => Promise.reject(broken);
    await expect(t.sut.unpublish('key', T1)).rejects.toBe(broken);
  });
});
