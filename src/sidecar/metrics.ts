import type { SignalName } from '../otlp/index.js';
import { VERSION } from '../version.js';

export type RejectReason = 'bad_content_type' | 'undecodable' | 'too_large' | 'queue_full' | 'signal_disabled' | 'method_not_allowed' | 'not_found';
export type DropReason = 'upstream_rejected' | 'partial_success' | 'retry_exhausted' | 'spool_full' | 'shutdown' | 'signal_disabled';
export type UpstreamOutcome = 'success' | 'retryable' | 'failure';

/** Upper bounds (seconds) of the upstream latency histogram. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}
  inc(labels: readonly string[], by = 1): void {
    this.incKey(labels.join('\u0000'), by);
  }
  /** Hot paths precompute the key with `Counter.key` once. */
  incKey(key: string, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  static key(...labels: string[]): string {
    return labels.join('\u0000');
  }
  get(labels: readonly string[]): number {
    return this.values.get(labels.join('\u0000')) ?? 0;
  }
}

class Histogram {
  readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(signal: string, seconds: number): void {
    let s = this.series.get(signal);
    if (!s) this.series.set(signal, (s = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) s.buckets[i]!++;
    s.sum += seconds;
    s.count++;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`;
}

/** Snapshot of the counters, for tests and the programmatic API. */
export interface MetricsSnapshot {
  readonly requestsReceived: Record<string, number>;
  readonly itemsReceived: Record<string, number>;
  readonly itemsAccepted: Record<string, number>;
  readonly requestsRejected: Record<string, number>;
  readonly itemsForwarded: Record<string, number>;
  readonly upstreamRequests: Record<string, number>;
  readonly upstreamRetries: Record<string, number>;
  readonly itemsDropped: Record<string, number>;
  readonly queueBytes: number;
  readonly spoolBytes: number;
}

/** The sidecar's own counters, rendered in Prometheus text format 0.0.4. */
export class SidecarMetrics {
  readonly requestsReceived = new Counter('tracekit_sidecar_requests_received_total', 'OTLP export requests received.', ['signal', 'transport']);
  readonly itemsReceived = new Counter('tracekit_sidecar_items_received_total', 'Spans, metric data points or log records received in decodable requests.', ['signal']);
  readonly itemsAccepted = new Counter('tracekit_sidecar_items_accepted_total', 'Items accepted into the queue (answered 200).', ['signal']);
  readonly requestsRejected = new Counter('tracekit_sidecar_requests_rejected_total', 'Requests refused, by reason.', ['signal', 'reason']);
  readonly itemsForwarded = new Counter('tracekit_sidecar_items_forwarded_total', 'Items the upstream accepted.', ['signal']);
  readonly upstreamRequests = new Counter('tracekit_sidecar_upstream_requests_total', 'Upstream export attempts, by outcome.', ['signal', 'outcome']);
  readonly upstreamRetries = new Counter('tracekit_sidecar_upstream_retries_total', 'Upstream attempts that were retries.', ['signal']);
  readonly itemsDropped = new Counter('tracekit_sidecar_items_dropped_total', 'Accepted items that will not reach the upstream, by reason.', ['signal', 'reason']);
  readonly upstreamDuration = new Histogram('tracekit_sidecar_upstream_duration_seconds', 'Upstream export request latency.');

  constructor(
    private readonly gauges: () => { queueBytes: number; queueMaxBytes: number; spoolBytes: number; spoolMaxBytes: number },
  ) {}

  rejected(signal: SignalName | 'none', reason: RejectReason): void {
    this.requestsRejected.inc([signal, reason]);
  }

  dropped(signal: SignalName, reason: DropReason, items: number): void {
    if (items > 0) this.itemsDropped.inc([signal, reason], items);
  }

  render(): string {
    const out: string[] = [];
    for (const c of [this.requestsReceived, this.itemsReceived, this.itemsAccepted, this.requestsRejected, this.itemsForwarded, this.upstreamRequests, this.upstreamRetries, this.itemsDropped]) {
      out.push(`# HELP ${c.name} ${c.help}`, `# TYPE ${c.name} counter`);
      for (const [key, value] of c.values) out.push(`${c.name}${labelText(c.labelNames, key.split('\u0000'))} ${value}`);
    }
    const g = this.gauges();
    const gauge = (name: string, help: string, value: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
    gauge('tracekit_sidecar_queue_bytes', 'Bytes of accepted data held in memory.', g.queueBytes);
    gauge('tracekit_sidecar_queue_max_bytes', 'Configured memory bound (--max-queue-bytes).', g.queueMaxBytes);
    gauge('tracekit_sidecar_spool_bytes', 'Bytes held in the disk spool.', g.spoolBytes);
    gauge('tracekit_sidecar_spool_max_bytes', 'Configured spool bound (--max-spool-bytes); 0 when there is no spool.', g.spoolMaxBytes);
    const h = this.upstreamDuration;
    out.push(`# HELP ${h.name} ${h.help}`, `# TYPE ${h.name} histogram`);
    for (const [signal, s] of h.series) {
      const sig = escapeLabel(signal);
      DURATION_BUCKETS.forEach((le, i) => out.push(`${h.name}_bucket{signal="${sig}",le="${le}"} ${s.buckets[i]}`));
      out.push(`${h.name}_bucket{signal="${sig}",le="+Inf"} ${s.count}`, `${h.name}_sum{signal="${sig}"} ${s.sum}`, `${h.name}_count{signal="${sig}"} ${s.count}`);
    }
    gauge('tracekit_sidecar_up', 'Always 1 while the sidecar answers.', 1);
    out.push('# HELP tracekit_sidecar_info The running tracekit version.', '# TYPE tracekit_sidecar_info gauge', `tracekit_sidecar_info{version="${escapeLabel(VERSION)}"} 1`);
    return `${out.join('\n')}\n`;
  }

  snapshot(): MetricsSnapshot {
    const flat = (c: Counter) => Object.fromEntries([...c.values].map(([k, v]) => [k.split('\u0000').join('/'), v]));
    const g = this.gauges();
    return {
      requestsReceived: flat(this.requestsReceived),
      itemsReceived: flat(this.itemsReceived),
      itemsAccepted: flat(this.itemsAccepted),
      requestsRejected: flat(this.requestsRejected),
      itemsForwarded: flat(this.itemsForwarded),
      upstreamRequests: flat(this.upstreamRequests),
      upstreamRetries: flat(this.upstreamRetries),
      itemsDropped: flat(this.itemsDropped),
      queueBytes: g.queueBytes,
      spoolBytes: g.spoolBytes,
    };
  }
}
