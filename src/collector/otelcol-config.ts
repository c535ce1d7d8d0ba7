import { formatHostPort } from './net.js';
import { PORTS, type SeamOptions } from './options.js';

export const OTELCOL_UNIT = 'tracekit-otelcol.service';
/** systemd hands the token file to the collector as a credential, so the collector user never needs to read the original. */
export const TOKEN_CREDENTIAL = 'otlp-token';
export const TOKEN_CREDENTIAL_PATH = `/run/credentials/${OTELCOL_UNIT}/${TOKEN_CREDENTIAL}`;
export const AUTHENTICATOR = 'bearertokenauth/in';

/** Histogram buckets for span latency (ms unit): page-request scale. */
const LATENCY_BUCKETS = ['5ms', '10ms', '25ms', '50ms', '100ms', '250ms', '500ms', '1s', '2500ms', '5s', '10s'];

/**
 * The OpenTelemetry Collector (contrib) config of the seam, as a plain object
 * (key order is the order written). Components and their settings are the
 * ones `otelcolSchema` knows.
 */
export function buildOtelcolConfig(o: SeamOptions): Record<string, unknown> {
  const auth = o.tokenFile === null ? {} : { auth: { authenticator: AUTHENTICATOR } };
  const extensions: Record<string, unknown> = {
    health_check: { endpoint: formatHostPort('127.0.0.1', PORTS.healthCheck) },
  };
  if (o.tokenFile !== null) extensions[AUTHENTICATOR] = { filename: TOKEN_CREDENTIAL_PATH };

  return {
    extensions,
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: formatHostPort(o.listen, PORTS.otlpGrpc), ...auth },
          http: { endpoint: formatHostPort(o.listen, PORTS.otlpHttp), ...auth },
        },
      },
    },
    processors: {
      // First in every pipeline: refuse data before the collector runs out of memory.
      memory_limiter: { check_interval: '1s', limit_mib: 1024, spike_limit_mib: 256 },
      batch: { send_batch_size: 8192, timeout: '200ms' },
    },
    connectors: {
      spanmetrics: {
        namespace: 'traces.span.metrics',
        histogram: { unit: 'ms', explicit: { buckets: LATENCY_BUCKETS } },
        // service.name, span.name, span.kind and status.code are always there.
        dimensions: [{ name: 'http.route' }, { name: 'http.request.method' }],
        exemplars: { enabled: true },
        metrics_flush_interval: '15s',
      },
    },
    exporters: {
      prometheus: {
        endpoint: formatHostPort('127.0.0.1', PORTS.exporter),
        // The default (5m) drops a series five minutes after its last point:
        // agents used in bursts would look dead, and a session's series must
        // outlive the session for the Sessions panel to tell old from new.
        metric_expiration: '168h',
        resource_to_telemetry_conversion: { enabled: true },
        enable_open_metrics: true,
      },
      'otlp/tempo': { endpoint: o.tempoEndpoint, tls: { insecure: o.tempoInsecure } },
    },
    service: {
      extensions: Object.keys(extensions),
      telemetry: {
        logs: { level: 'info' },
        metrics: { readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: PORTS.telemetry } } } }] },
      },
      // No logs pipeline: the agents' logs carry prompt and tool content, and
      // without one the receiver does not even serve /v1/logs.
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp/tempo', 'spanmetrics'] },
        metrics: { receivers: ['otlp', 'spanmetrics'], processors: ['memory_limiter', 'batch'], exporters: ['prometheus'] },
      },
    },
  };
}
