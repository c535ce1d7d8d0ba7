/**
 * Every PromQL expression the seam uses, in one place: the recording rules,
 * the alerts and the dashboard panels are built from these functions, and
 * the promtool tests evaluate the same strings (never a copy).
 */

/** Prometheus names of the agent's metrics after the collector's prometheus exporter. */
export const AGENT_METRICS = {
  sessions: 'claude_code_session_count_total',
  tokens: 'claude_code_token_usage_tokens_total',
  cost: 'claude_code_cost_usage_USD_total',
  activeTime: 'claude_code_active_time_seconds_total',
  linesOfCode: 'claude_code_lines_of_code_count_total',
  commits: 'claude_code_commit_count_total',
  pullRequests: 'claude_code_pull_request_count_total',
} as const;

/** Label names (resource attribute host.name and data-point attribute user.email, dots turned to underscores). */
export const LABELS = { host: 'host_name', person: 'user_email', session: 'session_id' } as const;

/** Span metrics from the spanmetrics connector (namespace traces.span.metrics, unit ms). */
export const SPAN_METRICS = {
  calls: 'traces_span_metrics_calls_total',
  durationBucket: 'traces_span_metrics_duration_milliseconds_bucket',
} as const;

export const SIDECAR_PREFIX = 'tracekit_sidecar_';

/** Scrape job names, shared by the scrape config, the alerts and the dashboards. */
export const JOBS = {
  collector: 'tracekit-otelcol',
  exporter: 'tracekit-otelcol-exporter',
  sidecar: 'tracekit-sidecar',
} as const;

/**
 * How far before a window's start we look for a series to decide that it
 * already existed. The collector keeps every series exposed for 7 days, so a
 * live or recently finished session has a sample at every scrape; the
 * lookback only has to bridge scrape gaps (a Prometheus restart), up to 1h.
 */
export const EXISTED_LOOKBACK = '1h';

function by(labels: readonly string[]): string {
  return labels.length === 0 ? '' : ` by (${labels.join(', ')})`;
}

/**
 * Sessions that started within the last `range`: a session is one series
 * (constant 1) per session_id, so one that started in the window is a
 * session id seen in the window that had no series just before it. Neither
 * increase() (always 0 on a constant) nor "series present in the range"
 * (a finished session stays exposed for 7 days) gives this.
 */
export function sessionsStarted(range: string, groupBy: readonly string[] = []): string {
  const m = AGENT_METRICS.sessions;
  const keep = [...groupBy, LABELS.session];
  return (
    `count${by(groupBy)} (` +
    `count${by(keep)} (last_over_time(${m}[${range}])) unless ` +
    `count${by(keep)} (last_over_time(${m}[${EXISTED_LOOKBACK}] offset ${range})))`
  );
}

/**
 * How much a per-session cumulative counter grew within the last `range`,
 * summed by `groupBy`. Every session has its own series starting at 0, so a
 * series born inside the window counts from 0 (increase() would drop its
 * first reported value); one that existed before counts from its value at
 * the window's start. A series kept exposed after its session ended adds
 * nothing more, as its value no longer changes.
 */
export function counterGrowth(metric: string, range: string, groupBy: readonly string[] = []): string {
  const now = `last_over_time(${metric}[${range}])`;
  const before = `last_over_time(${metric}[${EXISTED_LOOKBACK}] offset ${range})`;
  return `sum${by(groupBy)} (${now} - (${before} or ${now} * 0))`;
}

export const tokensUsed = (range: string, groupBy: readonly string[] = []): string => counterGrowth(AGENT_METRICS.tokens, range, groupBy);
export const notionalCost = (range: string, groupBy: readonly string[] = []): string => counterGrowth(AGENT_METRICS.cost, range, groupBy);
export const activeTime = (range: string, groupBy: readonly string[] = []): string => counterGrowth(AGENT_METRICS.activeTime, range, groupBy);
export const linesOfCode = (range: string, groupBy: readonly string[] = []): string => counterGrowth(AGENT_METRICS.linesOfCode, range, groupBy);

/** Recording rules: names and expressions. */
export const RECORDED = {
  hostTokenRate1h: 'tracekit:claude_code_tokens:rate1h_by_host',
  hostTokenRate7d: 'tracekit:claude_code_tokens:rate1h_by_host:avg7d',
  hostCostRate1h: 'tracekit:claude_code_cost_usd:rate1h_by_host',
  hostCostRate7d: 'tracekit:claude_code_cost_usd:rate1h_by_host:avg7d',
  routeRequestRate: 'tracekit:http_server_requests:rate5m_by_route',
  routeErrorRatio: 'tracekit:http_server_errors:ratio5m_by_route',
  routeLatencyP50: 'tracekit:http_server_latency_ms:p50_5m_by_route',
  routeLatencyP95: 'tracekit:http_server_latency_ms:p95_5m_by_route',
  sidecarDroppedSpanRate: 'tracekit:sidecar_dropped_spans:rate5m_by_instance',
} as const;

const ROUTE_BY = ['service_name', 'http_route'] as const;
const SERVER = `span_kind="SPAN_KIND_SERVER"`;

export function recordingRules(): Array<{ record: string; expr: string }> {
  return [
    { record: RECORDED.hostTokenRate1h, expr: `sum${by([LABELS.host])} (rate(${AGENT_METRICS.tokens}[1h]))` },
    { record: RECORDED.hostTokenRate7d, expr: `avg_over_time(${RECORDED.hostTokenRate1h}[7d])` },
    { record: RECORDED.hostCostRate1h, expr: `sum${by([LABELS.host])} (rate(${AGENT_METRICS.cost}[1h]))` },
    { record: RECORDED.hostCostRate7d, expr: `avg_over_time(${RECORDED.hostCostRate1h}[7d])` },
    { record: RECORDED.routeRequestRate, expr: `sum${by(ROUTE_BY)} (rate(${SPAN_METRICS.calls}{${SERVER}}[5m]))` },
    {
      record: RECORDED.routeErrorRatio,
      expr:
        `sum${by(ROUTE_BY)} (rate(${SPAN_METRICS.calls}{${SERVER}, status_code="STATUS_CODE_ERROR"}[5m]))` +
        ` / sum${by(ROUTE_BY)} (rate(${SPAN_METRICS.calls}{${SERVER}}[5m]))`,
    },
    { record: RECORDED.routeLatencyP50, expr: `histogram_quantile(0.5, sum${by([...ROUTE_BY, 'le'])} (rate(${SPAN_METRICS.durationBucket}{${SERVER}}[5m])))` },
    { record: RECORDED.routeLatencyP95, expr: `histogram_quantile(0.95, sum${by([...ROUTE_BY, 'le'])} (rate(${SPAN_METRICS.durationBucket}{${SERVER}}[5m])))` },
    {
      record: RECORDED.sidecarDroppedSpanRate,
      expr: `sum${by(['instance', 'reason'])} (rate(${SIDECAR_PREFIX}items_dropped_total{signal="traces"}[5m]))`,
    },
  ];
}

/**
 * A host's usage is "far above its baseline" at this many times its 7-day
 * average hourly rate, and only above an absolute floor so that a quiet host
 * waking up does not page anyone.
 */
export const SPIKE = {
  factor: 4,
  tokenFloorPerSecond: 50, // 180k tokens an hour
  costFloorUsdPerSecond: 0.002, // 7.20 USD an hour, notional
} as const;

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string };
}

export function alertRules(): AlertRule[] {
  return [
    {
      alert: 'TracekitAgentTokenRateFarAboveBaseline',
      expr:
        `${RECORDED.hostTokenRate1h} > ${SPIKE.factor} * ${RECORDED.hostTokenRate7d}` +
        ` and ${RECORDED.hostTokenRate1h} > ${SPIKE.tokenFloorPerSecond}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Coding-agent token use on {{ $labels.host_name }} is far above its 7-day baseline',
        description: `The last hour's token rate on {{ $labels.host_name }} is {{ $value | humanize }} tokens/s, more than ${SPIKE.factor}x its 7-day average.`,
      },
    },
    {
      alert: 'TracekitAgentNotionalCostRateFarAboveBaseline',
      expr:
        `${RECORDED.hostCostRate1h} > ${SPIKE.factor} * ${RECORDED.hostCostRate7d}` +
        ` and ${RECORDED.hostCostRate1h} > ${SPIKE.costFloorUsdPerSecond}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Notional coding-agent cost on {{ $labels.host_name }} is far above its 7-day baseline',
        description: `Notional estimate at API list prices, not a bill: the last hour's rate on {{ $labels.host_name }} is more than ${SPIKE.factor}x its 7-day average.`,
      },
    },
    {
      alert: 'TracekitSidecarDroppingSpans',
      expr: `sum by (instance) (${RECORDED.sidecarDroppedSpanRate}) > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'The tracekit sidecar on {{ $labels.instance }} is dropping spans',
        description: 'Spans accepted from PHP are being dropped (see the reason label of tracekit_sidecar_items_dropped_total): the upstream collector refuses them or the spool is full.',
      },
    },
    {
      alert: 'TracekitCollectorDown',
      expr: `up{job="${JOBS.collector}"} == 0 or absent(up{job="${JOBS.collector}"})`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'The OpenTelemetry Collector is down or not scraped',
        description: "Prometheus cannot scrape the collector's own telemetry: agent metrics and traces are not arriving.",
      },
    },
    {
      alert: 'TracekitCollectorExporterScrapeDown',
      expr: `up{job="${JOBS.exporter}"} == 0 or absent(up{job="${JOBS.exporter}"})`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: "Prometheus cannot scrape the collector's prometheus exporter",
        description: 'Agent usage and request metrics are not reaching Prometheus.',
      },
    },
  ];
}

/** Sidecar-health panel expressions (names fixed by the sidecar's /metrics contract). */
export function sidecarPanelQueries(): Array<{ title: string; expr: string; legend: string; unit: string }> {
  const p = SIDECAR_PREFIX;
  return [
    { title: 'Sidecars up', expr: `sum by (instance) (${p}up)`, legend: '{{instance}}', unit: 'short' },
    { title: 'Items received per second', expr: `sum by (instance, signal) (rate(${p}items_received_total[5m]))`, legend: '{{instance}} {{signal}}', unit: 'ops' },
    { title: 'Items forwarded per second', expr: `sum by (instance, signal) (rate(${p}items_forwarded_total[5m]))`, legend: '{{instance}} {{signal}}', unit: 'ops' },
    { title: 'Items dropped per second, by reason', expr: `sum by (instance, signal, reason) (rate(${p}items_dropped_total[5m]))`, legend: '{{instance}} {{signal}} {{reason}}', unit: 'ops' },
    { title: 'Requests rejected per second, by reason', expr: `sum by (instance, reason) (rate(${p}requests_rejected_total[5m]))`, legend: '{{instance}} {{reason}}', unit: 'reqps' },
    { title: 'Upstream requests per second, by outcome', expr: `sum by (instance, outcome) (rate(${p}upstream_requests_total[5m]))`, legend: '{{instance}} {{outcome}}', unit: 'reqps' },
    { title: 'Upstream retries per second', expr: `sum by (instance) (rate(${p}upstream_retries_total[5m]))`, legend: '{{instance}}', unit: 'ops' },
    {
      title: 'Upstream latency p95',
      expr: `histogram_quantile(0.95, sum by (instance, le) (rate(${p}upstream_duration_seconds_bucket[5m])))`,
      legend: '{{instance}}',
      unit: 's',
    },
    { title: 'Queue fill', expr: `max by (instance) (${p}queue_bytes / ${p}queue_max_bytes)`, legend: '{{instance}}', unit: 'percentunit' },
    { title: 'Spool bytes', expr: `max by (instance) (${p}spool_bytes)`, legend: '{{instance}}', unit: 'bytes' },
    { title: 'Versions', expr: `count by (version) (${p}info)`, legend: '{{version}}', unit: 'short' },
  ];
}
