import { context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tracing } from './tracing.js';

describe('Tracing', () => {
  it('is off while no SDK is registered: callers make no span', () => {
    expect(new Tracing().on).toBe(false);
  });

  describe('with an SDK registered', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    beforeAll(() => provider.register());
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    });

    it('continues a stored traceparent: the span is its child, in its trace', () => {
      const sut = new Tracing();
      expect(sut.on).toBe(true);
      const transition = sut.start('channel.transition');
      const stored = sut.traceParent(transition);
      expect(stored).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      sut.end(transition);

      const attempt = sut.start('delivery.attempt', {}, sut.contextOf(stored));
      sut.end(attempt, new Error('HTTP 500'));
      const [first, second] = exporter.getFinishedSpans();
      expect(second.spanContext().traceId).toBe(first.spanContext().traceId);
      expect(second.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
      expect(second.status).toMatchObject({ code: 2, message: 'HTTP 500' });
    });

    it('runs work inside a span: what it starts is the span’s child; no stored parent, a new trace', () => {
      const sut = new Tracing();
      const request = sut.start('POST /v1/ingest/events');
      const child = sut.within(request, () => sut.start('channel.transition'));
      const root = sut.start('delivery.attempt', {}, sut.contextOf(null));
      for (const span of [child, request, root]) sut.end(span);
      expect(child.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(root.spanContext().traceId).not.toBe(request.spanContext().traceId);
    });
  });
});
