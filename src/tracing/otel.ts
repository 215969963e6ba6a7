import { TRACER_NAME } from './tracing.js';

/** What stops tracing: flushes the spans not yet exported, then shuts the SDK down. */
export type StopTracing = () => Promise<void>;

/**
 * Registers the OpenTelemetry SDK for this thread when the standard variables ask for traces
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SERVICE_NAME,
 * OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER and the rest as the SDK reads them): spans go
 * out in batches over OTLP/HTTP. Otherwise nothing of the SDK is loaded, and undefined is answered.
 */
export async function startTracing(
  env: Record<string, string | undefined>,
): Promise<StopTracing | undefined> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? TRACER_NAME }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The async-hooks context manager and the W3C trace-context propagator, for this thread.
  provider.register();
  return () => provider.shutdown();
}
