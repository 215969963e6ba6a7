import { afterAll } from 'vitest';

/**
 * Steps to run after the suite's tests, last added first (a receiver before the database it
 * wrote to, an app before its receiver): push to the returned list.
 */
export function stepsAfterAll(): (() => Promise<unknown>)[] {
  const steps: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of steps.reverse()) await step();
  });
  return steps;
}
