import { generatedLine, JSON_STAMP_KEY } from '../generated-header.js';
import type { SeamOptions } from './options.js';
import {
  activeTime,
  LABELS,
  linesOfCode,
  notionalCost,
  RECORDED,
  sessionsStarted,
  sidecarPanelQueries,
  SPAN_METRICS,
  tokensUsed,
} from './queries.js';

export const DATASOURCE_UIDS = { prometheus: 'tracekit-prometheus', tempo: 'tracekit-tempo' } as const;
export const NOTIONAL = 'Notional estimate at API list prices, not a bill.';

const PROM = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus } as const;

interface PanelSpec {
  title: string;
  description?: string;
  kind: 'stat' | 'timeseries' | 'bargauge' | 'table';
  expr: string;
  legend?: string;
  unit?: string;
  /** One value for the whole dashboard range (instant query) rather than a series over time. */
  instant?: boolean;
  width?: number;
  /** Minimum step for time series built on `$__interval`. */
  interval?: string;
  exemplar?: boolean;
  links?: unknown[];
}

export interface Dashboard {
  uid: string;
  title: string;
  file: string;
  json: Record<string, unknown>;
}

function panel(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  const w = spec.width ?? 12;
  const h = spec.kind === 'stat' ? 5 : 8;
  const out: Record<string, unknown> = {
    id,
    type: spec.kind,
    title: spec.title,
    gridPos: { h, w, x, y },
    datasource: PROM,
    targets: [
      {
        refId: 'A',
        datasource: PROM,
        expr: spec.expr,
        legendFormat: spec.legend ?? '__auto',
        instant: spec.instant === true,
        range: spec.instant !== true,
        ...(spec.instant === true && spec.kind === 'table' ? { format: 'table' } : {}),
        ...(spec.exemplar === true ? { exemplar: true } : {}),
      },
    ],
    fieldConfig: { defaults: { unit: spec.unit ?? 'short', ...(spec.links ? { links: spec.links } : {}) }, overrides: [] },
    options: spec.kind === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'none', graphMode: 'none' } : {},
  };
  if (spec.description !== undefined) out.description = spec.description;
  if (spec.interval !== undefined) out.interval = spec.interval;
  return out;
}

function layout(specs: readonly PanelSpec[]): Record<string, unknown>[] {
  const panels: Record<string, unknown>[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  specs.forEach((spec, i) => {
    const w = spec.width ?? 12;
    const h = spec.kind === 'stat' ? 5 : 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    panels.push(panel(spec, i + 1, x, y));
    x += w;
    rowHeight = Math.max(rowHeight, h);
  });
  return panels;
}

function dashboard(uid: string, title: string, description: string, specs: readonly PanelSpec[], command: string, from = 'now-7d'): Dashboard {
  return {
    uid,
    title,
    file: `${uid}.json`,
    json: {
      [JSON_STAMP_KEY]: generatedLine(command),
      uid,
      title,
      description,
      tags: ['tracekit'],
      editable: false,
      schemaVersion: 39,
      time: { from, to: 'now' },
      refresh: '1m',
      timezone: 'utc',
      panels: layout(specs),
      templating: { list: [] },
      annotations: { list: [] },
      links: [],
    },
  };
}

const H = LABELS.host;
const P = LABELS.person;

function agentUsage(command: string): Dashboard {
  const specs: PanelSpec[] = [
    {
      title: 'Sessions started in range',
      description: 'Distinct session ids whose series first appeared within the dashboard range. A finished session stays exposed for 7 days, so this is not "series present in the range".',
      kind: 'stat',
      expr: sessionsStarted('$__range'),
      instant: true,
      width: 6,
    },
    { title: 'Tokens in range', kind: 'stat', expr: tokensUsed('$__range'), instant: true, width: 6 },
    { title: 'Notional cost in range (estimate at API list prices)', description: NOTIONAL, kind: 'stat', expr: notionalCost('$__range'), instant: true, unit: 'currencyUSD', width: 6 },
    { title: 'Lines of code in range', kind: 'stat', expr: linesOfCode('$__range', ['type']), legend: '{{type}}', instant: true, width: 6 },
    { title: 'Sessions started', description: 'Sessions started in each interval (distinct new session ids).', kind: 'timeseries', expr: sessionsStarted('$__interval'), interval: '5m', legend: 'sessions' },
    { title: 'Sessions started by host', kind: 'bargauge', expr: sessionsStarted('$__range', [H]), legend: `{{${H}}}`, instant: true },
    { title: 'Sessions started by person', kind: 'bargauge', expr: sessionsStarted('$__range', [P]), legend: `{{${P}}}`, instant: true },
    { title: 'Tokens by type', kind: 'timeseries', expr: tokensUsed('$__interval', ['type']), interval: '5m', legend: '{{type}}' },
    { title: 'Tokens by model', kind: 'bargauge', expr: tokensUsed('$__range', ['model']), legend: '{{model}}', instant: true },
    { title: 'Tokens by host', kind: 'bargauge', expr: tokensUsed('$__range', [H]), legend: `{{${H}}}`, instant: true },
    { title: 'Tokens by person', kind: 'bargauge', expr: tokensUsed('$__range', [P, 'type']), legend: `{{${P}}} {{type}}`, instant: true },
    { title: 'Notional cost over time (estimate at API list prices)', description: NOTIONAL, kind: 'timeseries', expr: notionalCost('$__interval', ['model']), interval: '5m', legend: '{{model}}', unit: 'currencyUSD' },
    { title: 'Notional cost by model (estimate at API list prices)', description: NOTIONAL, kind: 'bargauge', expr: notionalCost('$__range', ['model']), legend: '{{model}}', instant: true, unit: 'currencyUSD' },
    { title: 'Notional cost by host (estimate at API list prices)', description: NOTIONAL, kind: 'bargauge', expr: notionalCost('$__range', [H]), legend: `{{${H}}}`, instant: true, unit: 'currencyUSD' },
    { title: 'Notional cost by person (estimate at API list prices)', description: NOTIONAL, kind: 'bargauge', expr: notionalCost('$__range', [P]), legend: `{{${P}}}`, instant: true, unit: 'currencyUSD' },
    { title: 'Active time by person', description: 'user: time typing; cli: time the agent was working.', kind: 'bargauge', expr: activeTime('$__range', [P, 'type']), legend: `{{${P}}} {{type}}`, instant: true, unit: 's' },
    { title: 'Lines of code by person', kind: 'bargauge', expr: linesOfCode('$__range', [P, 'type']), legend: `{{${P}}} {{type}}`, instant: true },
    { title: 'Lines of code over time', kind: 'timeseries', expr: linesOfCode('$__interval', ['type']), interval: '5m', legend: '{{type}}' },
  ];
  return dashboard('tracekit-agent-usage', 'Agent usage', 'Coding-agent usage from the agents\' OTLP metrics. Cost figures are notional estimates at API list prices, not a bill.', specs, command);
}

function requests(command: string): Dashboard {
  const traceLink = [
    {
      title: 'Traces for this route',
      url: '',
      internal: {
        datasourceUid: DATASOURCE_UIDS.tempo,
        datasourceName: 'tracekit Tempo',
        query: { queryType: 'traceql', query: '{ span.http.route = "${__field.labels.http_route}" && resource.service.name = "${__field.labels.service_name}" }' },
      },
    },
  ];
  const specs: PanelSpec[] = [
    { title: 'Pageviews per route', description: 'Server spans per second, per route (spanmetrics calls).', kind: 'timeseries', expr: `sum by (service_name, http_route) (${RECORDED.routeRequestRate})`, legend: '{{service_name}} {{http_route}}', unit: 'reqps', links: traceLink },
    {
      title: 'Pageviews in range per route',
      kind: 'table',
      expr: `sum by (service_name, http_route) (increase(${SPAN_METRICS.calls}{span_kind="SPAN_KIND_SERVER"}[$__range]))`,
      instant: true,
      links: traceLink,
    },
    { title: 'Latency p50 per route', kind: 'timeseries', expr: RECORDED.routeLatencyP50, legend: '{{service_name}} {{http_route}}', unit: 'ms', links: traceLink },
    { title: 'Latency p95 per route', kind: 'timeseries', expr: RECORDED.routeLatencyP95, legend: '{{service_name}} {{http_route}}', unit: 'ms', links: traceLink },
    { title: 'Error rate per route', description: 'Share of server spans with status ERROR (5xx).', kind: 'timeseries', expr: RECORDED.routeErrorRatio, legend: '{{service_name}} {{http_route}}', unit: 'percentunit', links: traceLink },
    {
      title: 'Latency with trace exemplars',
      description: 'Click an exemplar dot to open the trace in Tempo.',
      kind: 'timeseries',
      expr: `histogram_quantile(0.95, sum by (http_route, le) (rate(${SPAN_METRICS.durationBucket}{span_kind="SPAN_KIND_SERVER"}[5m])))`,
      legend: '{{http_route}}',
      unit: 'ms',
      exemplar: true,
    },
  ];
  return dashboard('tracekit-requests', 'Requests', 'Pageviews, latency and errors per route from span metrics, linked to the traces in Tempo.', specs, command, 'now-6h');
}

function sidecarHealth(command: string): Dashboard {
  const specs: PanelSpec[] = sidecarPanelQueries().map((q) => ({ title: q.title, kind: 'timeseries', expr: q.expr, legend: q.legend, unit: q.unit }));
  return dashboard('tracekit-sidecar-health', 'Sidecar health', 'The tracekit sidecars on the PHP hosts: what they receive, forward, drop and hold.', specs, command, 'now-6h');
}

export function buildDashboards(command: string): Dashboard[] {
  return [agentUsage(command), requests(command), sidecarHealth(command)];
}

export function buildDatasources(o: SeamOptions): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'tracekit Prometheus',
        uid: DATASOURCE_UIDS.prometheus,
        type: 'prometheus',
        access: 'proxy',
        url: o.prometheusUrl,
        jsonData: { timeInterval: '30s', exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: DATASOURCE_UIDS.tempo }] },
      },
      {
        name: 'tracekit Tempo',
        uid: DATASOURCE_UIDS.tempo,
        type: 'tempo',
        access: 'proxy',
        url: o.tempoQueryUrl,
        jsonData: { serviceMap: { datasourceUid: DATASOURCE_UIDS.prometheus }, nodeGraph: { enabled: true } },
      },
    ],
  };
}

export const DASHBOARDS_INSTALL_DIR = '/var/lib/grafana/dashboards/tracekit';

export function buildDashboardProvider(): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [{ name: 'tracekit', folder: 'tracekit', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: DASHBOARDS_INSTALL_DIR } }],
  };
}
