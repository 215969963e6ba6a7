import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { WorkerThreadSupervisor } from './worker-thread.supervisor.js';

/** A real thread: answers `echo`, ends on `stop` after a moment, fails on `throw` or `exit`. */
const SCRIPT = `
import { parentPort, resourceLimits, workerData } from 'node:worker_threads';
parentPort.postMessage({ type: 'ready' });
let hang = false;
parentPort.on('message', (message) => {
  if (message.type === 'hang') hang = true;
  if (message.type === 'echo') parentPort.postMessage({ type: 'echo', id: message.id, data: workerData, said: message.said });
  if (message.type === 'stop' && !hang) setTimeout(() => parentPort.close(), 50);
  if (message.type === 'throw') setTimeout(() => { throw new Error('broken'); });
  if (message.type === 'exit') process.exit(3);
  if (message.type === 'limits') parentPort.postMessage({ type: 'limits', id: message.id, limits: resourceLimits });
  if (message.type === 'notify') parentPort.postMessage({ type: 'note', said: message.said });
});
`;

const folder = mkdtempSync(join(tmpdir(), 'worker-thread-'));
const script = join(folder, 'thread.mjs');
writeFileSync(script, SCRIPT);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function start(limits?: ResourceLimits) {
  const onFailure = vi.fn();
  const sut = new WorkerThreadSupervisor(pathToFileURL(script), { n: 7 }, onFailure, limits);
  sut.start();
  return { sut, onFailure };
}

describe('WorkerThreadSupervisor', () => {
  it('answers questions over the port, then stops the thread when told, without a failure', async () => {
    const { sut, onFailure } = start();
    await sut.ready();
    expect(sut.running).toBe(true);
    expect(await sut.ask({ type: 'echo', said: 'hi' })).toMatchObject({
      type: 'echo',
      data: { n: 7 },
      said: 'hi',
    });
    const stopped = sut.stop();
    expect(sut.running).toBe(false);
    expect(await stopped).toBe(0);
    expect(onFailure).not.toHaveBeenCalled();
    expect(await sut.ask({ type: 'echo' })).toEqual({ type: 'gone' });
  });

  it('starts the thread with the heap sizes it is given', async () => {
    const { sut } = start({ maxYoungGenerationSizeMb: 48 });
    await sut.ready();
    const answer = await sut.ask({ type: 'limits' });
    expect(answer.limits).toMatchObject({ maxYoungGenerationSizeMb: 48 });
    expect(await sut.stop()).toBe(0);
  });

  it("hands the thread's own messages to the listener of their type", async () => {
    const { sut } = start();
    const heard = new Promise((resolve) => sut.on('note', resolve));
    await sut.ready();
    sut.post({ type: 'notify', said: 'away' });
    expect(await heard).toEqual({ type: 'note', said: 'away' });
    await sut.stop();
  });

  it('terminates a thread that has not ended by the deadline of stop, and says so', async () => {
    const { sut, onFailure } = start();
    await sut.ready();
    sut.post({ type: 'hang' });
    const started = performance.now();
    expect(await sut.stop(200)).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(sut.terminated).toBe(true);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('leaves a thread that drains by the deadline alone', async () => {
    const { sut } = start();
    await sut.ready();
    expect(await sut.stop(5_000)).toBe(0);
    expect(sut.terminated).toBe(false);
  });

  it('reports a thread that exits unasked', async () => {
    const { sut, onFailure } = start();
    await sut.ready();
    sut.post({ type: 'exit' });
    await vi.waitFor(() => expect(onFailure).toHaveBeenCalled());
    expect(onFailure.mock.calls[0][0]).toContain('exited unexpectedly (code 3)');
    expect(sut.running).toBe(false);
  });

  it('reports a thread that throws', async () => {
    const { sut, onFailure } = start();
    await sut.ready();
    sut.post({ type: 'throw' });
    await vi.waitFor(() => expect(onFailure).toHaveBeenCalledTimes(2));
    expect(onFailure.mock.calls[0]).toEqual(['the worker thread failed', expect.any(Error)]);
    expect((onFailure.mock.calls[0][1] as Error).message).toBe('broken');
  });
});
