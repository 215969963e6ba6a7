import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The lowest priority a task can have (the highest niceness). */
const LOWEST = 19;

/**
 * Lowers the calling thread's scheduling priority by `steps` below the process's, so that when
 * the cores are busy the kernel runs the other threads first: in role `both`, the API thread
 * answers the media servers' hooks while the delivery thread takes what CPU is left. A thread may
 * always lower its own priority. Linux only (threads are tasks of their own there, with a
 * `/proc/thread-self`); elsewhere, or if the kernel refuses, nothing changes. Answers the new
 * niceness, or undefined when it was left alone.
 */
export function lowerThreadPriority(steps: number): number | undefined {
  let tid: number;
  try {
    tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(tid) || tid <= 0) return undefined;
  try {
    const niceness = Math.min(LOWEST, getPriority(process.pid) + steps);
    setPriority(tid, niceness);
    return niceness;
  } catch {
    return undefined;
  }
}
