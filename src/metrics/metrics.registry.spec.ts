import { describe, expect, it } from 'vitest';
import { MetricsRegistry, type MetricsJson } from './metrics.registry.js';

/** Another registry, as a worker thread would send its series. */
async function thread(build: (other: MetricsRegistry) => void): Promise<MetricsJson> {
  const other = new MetricsRegistry();
  build(other);
  return await other.registry.getMetricsAsJSON();
}

describe('MetricsRegistry', () => {
  it("answers an included registry's series: counters summed, its own gauges kept", async () => {
    const sut = new MetricsRegistry();
    sut.counter({ name: 'events_total', help: 'h' }).inc(2);
    sut.gauge({ name: 'channels', help: 'h' }).set(5);
    const theirs = await thread((other) => {
      other.counter({ name: 'events_total', help: 'h' }).inc(3);
      other.gauge({ name: 'channels', help: 'h' }).set(5);
      other.counter({ name: 'deliveries_total', help: 'h' }).inc(7);
    });
    sut.include(() => Promise.resolve(theirs));

    const text = await sut.metrics();
    expect(text).toContain('events_total 5');
    expect(text).toContain('channels 5');
    expect(text).toContain('deliveries_total 7');
    expect(text).toContain('process_cpu_seconds_total');
  });
});
