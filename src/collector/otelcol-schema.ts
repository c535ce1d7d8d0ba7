import { z } from 'zod';
import { checkCollectorConfig } from '../doctor/check-collector.js';
import { severityRank } from '../doctor/findings.js';

/**
 * A schema of the collector (contrib) components the seam uses, with the
 * settings it sets. No collector binary can run here, so this is what the
 * generated config is checked against; it is strict (an unknown key or
 * component is an error) and refuses every trap the doctor knows of.
 */
const goDuration = z.string().regex(/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/, 'a Go duration such as 200ms or 168h');
const endpoint = z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port');
const componentId = (type: string): z.ZodString => z.string().regex(new RegExp(`^${type}(?:/[A-Za-z0-9_.-]+)?$`), `${type} or ${type}/NAME`);

const authRef = z.strictObject({ authenticator: componentId('bearertokenauth') });
const otlpProtocol = z.strictObject({ endpoint, auth: authRef.optional() });

const otlpReceiver = z.strictObject({
  protocols: z.strictObject({ grpc: otlpProtocol.optional(), http: otlpProtocol.optional() }).refine((p) => p.grpc !== undefined || p.http !== undefined, 'at least one protocol'),
});

const memoryLimiter = z.strictObject({
  check_interval: goDuration,
  limit_mib: z.number().int().positive().optional(),
  spike_limit_mib: z.number().int().positive().optional(),
  limit_percentage: z.number().int().min(1).max(100).optional(),
  spike_limit_percentage: z.number().int().min(1).max(100).optional(),
}).refine((m) => m.limit_mib !== undefined || m.limit_percentage !== undefined, 'memory_limiter needs limit_mib or limit_percentage');
const batch = z.strictObject({ send_batch_size: z.number().int().positive().optional(), send_batch_max_size: z.number().int().nonnegative().optional(), timeout: goDuration.optional() });

const spanmetrics = z.strictObject({
  namespace: z.string().min(1),
  histogram: z.strictObject({
    unit: z.enum(['ms', 's']),
    explicit: z.strictObject({ buckets: z.array(goDuration).min(1) }).optional(),
  }),
  dimensions: z.array(z.strictObject({ name: z.string().min(1), default: z.string().optional() })),
  exemplars: z.strictObject({ enabled: z.boolean() }).optional(),
  metrics_flush_interval: goDuration.optional(),
});

const prometheusExporter = z.strictObject({
  endpoint,
  metric_expiration: goDuration,
  resource_to_telemetry_conversion: z.strictObject({ enabled: z.literal(true) }),
  enable_open_metrics: z.boolean().optional(),
  namespace: z.string().optional(),
  add_metric_suffixes: z.boolean().optional(),
});
const otlpExporter = z.strictObject({
  endpoint,
  tls: z.strictObject({ insecure: z.boolean().optional(), ca_file: z.string().optional() }).optional(),
  compression: z.enum(['gzip', 'zstd', 'none']).optional(),
});

const pipeline = z.strictObject({ receivers: z.array(z.string()).min(1), processors: z.array(z.string()), exporters: z.array(z.string()).min(1) });

export const otelcolSchema = z
  .strictObject({
    extensions: z
      .strictObject({
        health_check: z.strictObject({ endpoint }).optional(),
      })
      .catchall(z.strictObject({ filename: z.string().min(1) }))
      .refine((e) => Object.keys(e).every((k) => k === 'health_check' || /^bearertokenauth(?:\/[A-Za-z0-9_.-]+)?$/.test(k)), 'only health_check and bearertokenauth extensions'),
    receivers: z.strictObject({ otlp: otlpReceiver }),
    processors: z.strictObject({ memory_limiter: memoryLimiter, batch }),
    connectors: z.strictObject({ spanmetrics }),
    exporters: z
      .strictObject({ prometheus: prometheusExporter })
      .catchall(otlpExporter)
      .refine((e) => Object.keys(e).every((k) => k === 'prometheus' || /^otlp\/[A-Za-z0-9_.-]+$/.test(k)), 'only prometheus and otlp/NAME exporters'),
    service: z.strictObject({
      extensions: z.array(z.string()),
      telemetry: z
        .strictObject({
          logs: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']) }).optional(),
          metrics: z
            .strictObject({
              readers: z.array(z.strictObject({ pull: z.strictObject({ exporter: z.strictObject({ prometheus: z.strictObject({ host: z.string(), port: z.number().int() }) }) }) })),
            })
            .optional(),
        })
        .optional(),
      // Traces and metrics only: a logs pipeline is what the seam must not have.
      pipelines: z.strictObject({ traces: pipeline, metrics: pipeline }),
    }),
  })
  .superRefine((config, ctx) => {
    for (const f of checkCollectorConfig(config, 'config')) {
      if (severityRank(f.severity) >= severityRank('warning')) ctx.addIssue({ code: 'custom', message: `${f.id}: ${f.message}`, path: (f.where ?? '').split('.') });
    }
    const first = config.service.pipelines;
    for (const [name, p] of Object.entries(first)) {
      if (p.processors[0] !== 'memory_limiter' || p.processors.at(-1) !== 'batch') {
        ctx.addIssue({ code: 'custom', message: `pipeline ${name}: memory_limiter must come first and batch last`, path: ['service', 'pipelines', name, 'processors'] });
      }
    }
  });

export type OtelcolConfig = z.infer<typeof otelcolSchema>;

/** Validates a parsed config; returns the issues as readable lines (empty when valid). */
export function validateOtelcolConfig(config: unknown): string[] {
  const result = otelcolSchema.safeParse(config);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}
