import { splitHostPort } from '../collector/net.js';
import type { Finding } from './findings.js';

type Env = Record<string, unknown>;

const VALID_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'];

function truthy(v: unknown): boolean {
  return typeof v === 'string' && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** Checks a parsed Claude Code managed-settings.json for the telemetry traps. */
export function checkManagedSettings(settings: unknown, file: string): Finding[] {
  const out: Finding[] = [];
  const add = (f: Omit<Finding, 'file'>): void => {
    out.push({ ...f, file });
  };
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    add({ id: 'unreadable-config', severity: 'error', message: 'expected a JSON object with an "env" object, found something else', fix: 'write it with tracekit agent settings' });
    return out;
  }
  const envRaw = (settings as Record<string, unknown>).env;
  if (typeof envRaw !== 'object' || envRaw === null || Array.isArray(envRaw)) {
    add({ id: 'telemetry-off', severity: 'error', where: 'env', message: 'no "env" object: telemetry is not switched on by managed settings', fix: 'write it with tracekit agent settings --endpoint URL' });
    return out;
  }
  const env = envRaw as Env;
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== 'string') add({ id: 'unreadable-config', severity: 'error', where: `env.${k}`, message: `env values must be strings, found ${JSON.stringify(v)}`, fix: `quote it: "${k}": "${String(v)}"` });
  }
  const get = (k: string): string | undefined => (typeof env[k] === 'string' ? (env[k] as string) : undefined);

  if (get('CLAUDE_CODE_ENABLE_TELEMETRY') !== '1') {
    add({ id: 'telemetry-off', severity: 'error', where: 'env.CLAUDE_CODE_ENABLE_TELEMETRY', message: `telemetry is not on (found ${JSON.stringify(get('CLAUDE_CODE_ENABLE_TELEMETRY') ?? null)})`, fix: 'set "CLAUDE_CODE_ENABLE_TELEMETRY": "1"' });
  }
  const metricsExporter = get('OTEL_METRICS_EXPORTER');
  if (metricsExporter === undefined || !metricsExporter.split(',').map((s) => s.trim()).includes('otlp')) {
    add({ id: 'metrics-exporter-not-otlp', severity: 'error', where: 'env.OTEL_METRICS_EXPORTER', message: `metrics are not exported over OTLP (found ${JSON.stringify(metricsExporter ?? null)})`, fix: 'set "OTEL_METRICS_EXPORTER": "otlp"' });
  }

  const protocol = get('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') ?? get('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol === undefined) {
    add({ id: 'protocol-unset', severity: 'error', where: 'env.OTEL_EXPORTER_OTLP_PROTOCOL', message: 'the OTLP protocol is not set, and the agent has no default: metrics may never leave the host', fix: 'set "OTEL_EXPORTER_OTLP_PROTOCOL" to grpc or http/protobuf, matching the collector port (4317 or 4318)' });
  } else if (!VALID_PROTOCOLS.includes(protocol)) {
    add({ id: 'protocol-invalid', severity: 'error', where: 'env.OTEL_EXPORTER_OTLP_PROTOCOL', message: `unknown OTLP protocol '${protocol}'`, fix: 'use grpc, http/protobuf or http/json' });
  }
  const endpoint = get('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') ?? get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) {
    add({ id: 'endpoint-unset', severity: 'error', where: 'env.OTEL_EXPORTER_OTLP_ENDPOINT', message: 'no OTLP endpoint: the exporter sends to localhost', fix: 'set "OTEL_EXPORTER_OTLP_ENDPOINT" to the collector, e.g. http://10.0.0.5:4317' });
  } else if (protocol !== undefined) {
    const { port } = splitHostPort(endpoint);
    if ((protocol === 'grpc' && port === '4318') || (protocol.startsWith('http') && port === '4317')) {
      add({ id: 'protocol-port-mismatch', severity: 'warning', where: 'env.OTEL_EXPORTER_OTLP_ENDPOINT', message: `protocol ${protocol} with port ${port}, which is the other protocol's port`, fix: 'use 4317 for grpc and 4318 for http/protobuf' });
    }
  }

  const temporality = get('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  if (temporality === undefined || temporality.toLowerCase() !== 'cumulative') {
    add({
      id: 'delta-temporality',
      severity: 'error',
      where: 'env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
      message: `metrics are sent as ${temporality === undefined ? 'delta (the default)' : temporality}; the collector's prometheus exporter reads misaligned delta points as counter resets`,
      fix: 'set "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "cumulative"',
    });
  }
  const sessionId = get('OTEL_METRICS_INCLUDE_SESSION_ID');
  if (sessionId !== undefined && !truthy(sessionId)) {
    add({ id: 'session-id-dropped', severity: 'error', where: 'env.OTEL_METRICS_INCLUDE_SESSION_ID', message: 'the session id is dropped: every session reports 1 onto the same series, which never accumulates, so sessions cannot be counted', fix: 'set "OTEL_METRICS_INCLUDE_SESSION_ID": "true"' });
  }
  const account = get('OTEL_METRICS_INCLUDE_ACCOUNT_UUID');
  if (account !== undefined && !truthy(account)) {
    add({ id: 'account-id-dropped', severity: 'warning', where: 'env.OTEL_METRICS_INCLUDE_ACCOUNT_UUID', message: 'the account id is dropped: usage cannot be attributed to a person', fix: 'set "OTEL_METRICS_INCLUDE_ACCOUNT_UUID": "true"' });
  }

  const logs = get('OTEL_LOGS_EXPORTER');
  if (logs === undefined) {
    add({ id: 'logs-exported', severity: 'warning', where: 'env.OTEL_LOGS_EXPORTER', message: 'the logs exporter is not pinned: a user setting can turn on logs, which carry prompt and tool content', fix: 'set "OTEL_LOGS_EXPORTER": "none"' });
  } else if (logs.split(',').map((s) => s.trim()).some((s) => s !== 'none' && s !== '')) {
    add({ id: 'logs-exported', severity: 'error', where: 'env.OTEL_LOGS_EXPORTER', message: `logs are exported (${logs}): they carry prompt and tool content`, fix: 'set "OTEL_LOGS_EXPORTER": "none"' });
  }
  for (const k of ['OTEL_LOG_USER_PROMPTS', 'OTEL_LOG_TOOL_DETAILS']) {
    if (truthy(get(k))) add({ id: 'prompt-content-logged', severity: 'error', where: `env.${k}`, message: `${k} is on: prompt or tool content goes into the telemetry`, fix: `remove ${k} or set it to "0"` });
  }
  const traces = get('OTEL_TRACES_EXPORTER');
  if (traces !== undefined && traces.split(',').some((s) => s.trim() !== 'none' && s.trim() !== '')) {
    add({ id: 'traces-exported', severity: 'warning', where: 'env.OTEL_TRACES_EXPORTER', message: `agent traces are exported (${traces}); the seam is metrics-only and spans can carry tool details`, fix: 'set "OTEL_TRACES_EXPORTER": "none"' });
  }
  return out;
}
