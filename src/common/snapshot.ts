/** How old what readiness and metrics answer from may be: they count rows of whole tables. */
export const PROBE_SNAPSHOT_MS = 1000;

/**
 * A value read at most once per `maxAgeMs`, for probes that anyone may call as often as they
 * like (readiness, metrics): callers within that time share the last reading, and callers while
 * a reading is under way share that one, so at most one is in flight. A failed reading is shared
 * the same way (a database that is away is not asked again by every probe); the next caller after
 * `maxAgeMs` reads afresh.
 */
export class Snapshot<T> {
  private last: { at: number; value: Promise<T> } | undefined;
  private reading: Promise<T> | undefined;

  constructor(
    private readonly maxAgeMs: number,
    private readonly read: () => Promise<T>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    if (this.reading) return this.reading;
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return this.last.value;
    const started = this.now();
    const reading = (async () => this.read())();
    this.reading = reading;
    const settled = () => {
      this.last = { at: started, value: reading };
      this.reading = undefined;
    };
    reading.then(settled, settled);
    return reading;
  }
}
