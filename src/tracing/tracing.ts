import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';

/** The tracer's name, and the service's name in exported traces unless OTEL_SERVICE_NAME says. */
export const TRACER_NAME = 'channel-webhooks';

/** Why a span ended as failed when its transaction lost to contention and was run again. */
export const RUN_AGAIN = new Error('the transaction was run again');

/** A W3C traceparent of version 00: trace id, parent span id, flags. */
const TRACE_PARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The service's spans, through the OpenTelemetry API. With no SDK registered in the process (the
 * standalone server without OTEL_EXPORTER_OTLP_ENDPOINT; a host app that traces nothing) `on` is
 * false and every caller skips its spans: no span, no context, no header is made.
 */
export class Tracing {
  private tracer: Tracer | undefined;
  private known = false;

  /** Whether spans are recorded: an SDK's tracer provider is registered (see otel.ts). */
  get on(): boolean {
    return this.registered() !== undefined;
  }

  /** The SDK's tracer, looked for once (an SDK is registered before the app is made). */
  private registered(): Tracer | undefined {
    if (!this.known) {
      this.known = true;
      const provider = trace.getTracerProvider() as {
        getDelegateTracer?: (name: string) => unknown;
      };
      if (provider.getDelegateTracer?.(TRACER_NAME) !== undefined) {
        this.tracer = trace.getTracer(TRACER_NAME);
      }
    }
    return this.tracer;
  }

  /** Starts a span, a child of `parent` (the active context by default). Only when `on`. */
  start(
    name: string,
    options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; startTime?: number } = {},
    parent: Context = context.active(),
  ): Span {
    const tracer = this.registered() ?? trace.getTracer(TRACER_NAME);
    return tracer.startSpan(name, { kind: SpanKind.INTERNAL, ...options }, parent);
  }

  /** Runs `work` with `span` as the active span: spans started in it are its children. */
  within<T>(span: Span, work: () => T): T {
    return context.with(trace.setSpan(context.active(), span), work);
  }

  /**
   * The span's W3C traceparent (`00-<trace id>-<span id>-<flags>`), written here rather than by
   * the registered propagator: it is stored with events and sent to receivers whatever a host's
   * own propagation is (B3, none).
   */
  traceParent(span: Span): string {
    const { traceId, spanId, traceFlags } = span.spanContext();
    return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
  }

  /**
   * The context a stored or received traceparent stands for, as a remote parent; the root context
   * for none (or one that is not a W3C traceparent): a trace of its own.
   */
  contextOf(traceParent: string | null | undefined): Context {
    const parts = TRACE_PARENT.exec(traceParent ?? '');
    if (!parts) return ROOT_CONTEXT;
    const parent = {
      traceId: parts[1],
      spanId: parts[2],
      traceFlags: parseInt(parts[3], 16),
      isRemote: true,
    };
    return isSpanContextValid(parent) ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  }

  /** Ends `span`, marked as failed with `error` when given. */
  end(span: Span, error?: unknown): void {
    if (error !== undefined) {
      const failure = error instanceof Error ? error : new Error(JSON.stringify(error));
      span.recordException(failure);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    }
    span.end();
  }
}

/** One per thread: an SDK is registered per thread (otel.ts). */
export const tracing = new Tracing();

/**
 * The spans of work that a transaction may run again (a deadlock victim): each try's spans
 * `replace` the last try's, which end as failed, and `run` ends the last ones with the work's
 * outcome.
 */
export class TrySpans {
  private spans: Span[] = [];

  replace(spans: Span[]): void {
    for (const span of this.spans) tracing.end(span, RUN_AGAIN);
    this.spans = spans;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    let failure: unknown;
    try {
      return await work();
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      for (const span of this.spans) tracing.end(span, failure);
      this.spans = [];
    }
  }
}
