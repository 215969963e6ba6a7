import type { Logger } from '@nestjs/common';

/** Long work logs a line each time it passes another this many rows. */
export const PROGRESS_EVERY = 10_000;

/**
 * A counter for long work done in chunks: `report(done)` logs `describe(done)` whenever `done`
 * has passed another PROGRESS_EVERY rows since the last line.
 */
export function progressLog(
  logger: Logger,
  describe: (done: number) => string,
  every = PROGRESS_EVERY,
): (done: number) => void {
  let logged = 0;
  return (done) => {
    if (Math.floor(done / every) > Math.floor(logged / every)) {
      logger.log(describe(done));
      logged = done;
    }
  };
}
