import { Logger } from '@nestjs/common';

/** Socket and protocol failures: the database server cannot be reached (or went away mid-query). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);
const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;

interface DriverErrorShape {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  message?: unknown;
  driverError?: DriverErrorShape;
}

/** The driver's own error: TypeORM wraps it as `driverError`. */
function driverError(error: unknown): DriverErrorShape | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shaped = error as DriverErrorShape;
  return shaped.driverError ?? shaped;
}

/** The database server is unreachable: the operation may succeed once it is back. */
export function isDatabaseUnreachable(error: unknown): boolean {
  const driver = driverError(error);
  if (!driver) return false;
  if (typeof driver.code === 'string' && UNREACHABLE_CODES.has(driver.code)) return true;
  // mysql2 marks errors that broke the connection as fatal, and refuses commands on it afterwards.
  if (driver.fatal === true) return true;
  return typeof driver.message === 'string' && driver.message.includes('closed state');
}

/**
 * SQLite's answer when another connection (another thread or process on the file) holds the write
 * lock past busy_timeout, or committed first under a transaction that read before writing.
 */
const SQLITE_BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);

/**
 * A deadlock victim or a lock wait that timed out (MySQL asks to run the transaction again), or
 * SQLite busy: the transaction is run again.
 */
export function isLockContention(error: unknown): boolean {
  const driver = driverError(error);
  if (typeof driver?.code === 'string' && SQLITE_BUSY_CODES.has(driver.code)) return true;
  return driver?.errno === MYSQL_DEADLOCK || driver?.errno === MYSQL_LOCK_WAIT_TIMEOUT;
}

/**
 * Whether the database is reachable, as the service's own operations find it: the first failure
 * for want of a connection is one warning, the first success after it another, and nothing in
 * between (callers stay quiet about operations that failed for that reason).
 */
export class DatabaseStatus {
  private readonly logger = new Logger('Database');
  private unreachableSince: number | undefined;
  /** When the database was last found back (performance.now()). */
  private backAt = -Infinity;
  /** Failures already noted: callers up the stack may hand the same error in again. */
  private readonly noted = new WeakSet<object>();
  /** Set in a worker thread: its transitions go to the main thread, which says them. */
  private forward: ((reachable: boolean, code?: string) => void) | undefined;
  private readonly watchers: ((reachable: boolean) => void)[] = [];

  /**
   * Calls `watcher` now with whether the database is reachable, and again at every change, however
   * the change was found: by this thread's operations or, in the main thread, by the delivery
   * worker's thread (`heard`). Answers the function that stops the calls.
   */
  watch(watcher: (reachable: boolean) => void): () => void {
    this.watchers.push(watcher);
    watcher(this.reachable);
    return () => {
      const index = this.watchers.indexOf(watcher);
      if (index >= 0) this.watchers.splice(index, 1);
    };
  }

  /**
   * In the delivery worker's thread: says nothing itself but tells the main thread (see
   * delivery-thread.ts), which says each outage once for the process, whichever thread found it.
   */
  forwardTo(listener: (reachable: boolean, code?: string) => void): void {
    this.forward = listener;
  }

  /** What another thread of the process found (its `forwardTo`). */
  heard(reachable: boolean, code?: string): void {
    if (reachable) this.succeeded();
    else this.wentAway(code);
  }

  get reachable(): boolean {
    return this.unreachableSince === undefined;
  }

  /**
   * Notes a failed operation; true when it failed because the database is unreachable. An
   * operation that began (`startedAt`, performance.now()) before the database was last found back
   * says nothing new when it fails for want of a connection: it was on a connection of the outage
   * (a connect that was being refused, a socket that was being reset), and the database is not
   * said to be away again for it.
   */
  failed(error: unknown, startedAt?: number): boolean {
    if (!isDatabaseUnreachable(error)) return false;
    if (typeof error === 'object' && error !== null) {
      if (this.noted.has(error)) return true;
      this.noted.add(error);
    }
    if (startedAt !== undefined && startedAt < this.backAt) return true;
    const code = driverError(error)?.code;
    this.wentAway(typeof code === 'string' ? code : undefined);
    return true;
  }

  /** Notes a successful operation. */
  succeeded(): void {
    if (this.unreachableSince === undefined) return;
    const seconds = ((Date.now() - this.unreachableSince) / 1000).toFixed(1);
    this.unreachableSince = undefined;
    this.backAt = performance.now();
    for (const watcher of this.watchers) watcher(true);
    if (this.forward) this.forward(true);
    else this.logger.warn(`Database reachable again after ${seconds} s`);
  }

  private wentAway(code: string | undefined): void {
    if (this.unreachableSince !== undefined) return;
    this.unreachableSince = Date.now();
    for (const watcher of this.watchers) watcher(false);
    if (this.forward) return this.forward(false, code);
    this.logger.warn(
      `Database unreachable${code === undefined ? '' : ` (${code})`}: requests answer 503 and deliveries wait until it is back`,
    );
  }
}

/** One per thread: every connection of the process shares the same server. */
export const databaseStatus = new DatabaseStatus();
