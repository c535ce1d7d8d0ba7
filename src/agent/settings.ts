import { TracekitError } from '../errors.js';
import { generatedLine } from '../generated-header.js';

export type OtlpProtocol = 'grpc' | 'http/protobuf';
export const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf'];

/** Where Claude Code reads managed settings (highest precedence), per OS. */
export const MANAGED_SETTINGS_PATHS = {
  linux: '/etc/claude-code/managed-settings.json',
  macos: '/Library/Application Support/ClaudeCode/managed-settings.json',
  windows: 'C:\\Program Files\\ClaudeCode\\managed-settings.json',
} as const;

/** The stamp lives in the env block: a map of free-form strings, so no settings validator can object to it. */
export const STAMP_ENV = 'TRACEKIT_GENERATED';

export interface AgentSettingsOptions {
  endpoint: string;
  protocol: OtlpProtocol;
  /** The bearer token itself (read from --token-file), or null. */
  token: string | null;
  /** Extra OTEL_RESOURCE_ATTRIBUTES, e.g. host.name=web-1. */
  resourceAttributes: string | null;
  command: string;
}

export function parseProtocol(raw: string | undefined): OtlpProtocol {
  const value = raw ?? 'grpc';
  if (!(PROTOCOLS as readonly string[]).includes(value)) {
    throw new TracekitError('USAGE', `--protocol expects grpc or http/protobuf, found '${value}'`);
  }
  return value as OtlpProtocol;
}

/** Validates --endpoint against the protocol: the base URL the SDK appends /v1/metrics to (http) or dials (grpc). */
export function parseEndpoint(raw: string, protocol: OtlpProtocol): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TracekitError('AGENT_BAD_ENDPOINT', `--endpoint expects the collector's OTLP URL such as http://10.0.0.5:4317, found '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TracekitError('AGENT_BAD_ENDPOINT', `--endpoint expects an http:// or https:// URL, found '${raw}'`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new TracekitError('AGENT_BAD_ENDPOINT', `--endpoint expects scheme://host:port with no query, fragment or credentials, found '${raw}'`);
  }
  if (/\/v1\/(metrics|traces|logs)\/?$/.test(url.pathname)) {
    throw new TracekitError('AGENT_BAD_ENDPOINT', `--endpoint expects the base URL (the exporter appends /v1/metrics), found '${raw}'`);
  }
  const port = url.port;
  if (protocol === 'grpc' && port === '4318') throw new TracekitError('AGENT_BAD_ENDPOINT', `--endpoint port 4318 is OTLP/HTTP but --protocol is grpc (expected 4317), found '${raw}'`);
  if (protocol === 'http/protobuf' && port === '4317') throw new TracekitError('AGENT_BAD_ENDPOINT', `--endpoint port 4317 is OTLP/gRPC but --protocol is http/protobuf (expected 4318), found '${raw}'`);
  return raw.replace(/\/+$/, '');
}

export function parseToken(text: string, file: string): string {
  const token = text.trim();
  if (token === '' || /[\s,=%]/.test(token) || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TracekitError('AGENT_BAD_TOKEN', `--token-file expects one line holding a token of printable characters without spaces, commas, '=' or '%', found ${token === '' ? 'an empty file' : 'other characters'} in ${file}`);
  }
  return token;
}

export function parseResourceAttributes(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (!/^[A-Za-z0-9_.-]+=[^,=\s]+(,[A-Za-z0-9_.-]+=[^,=\s]+)*$/.test(raw)) {
    throw new TracekitError('USAGE', `--resource-attributes expects key=value[,key=value] such as host.name=web-1, found '${raw}'`);
  }
  return raw;
}

/** The managed settings: metrics only, every trap set explicitly. Key order is fixed, so output is deterministic. */
export function buildManagedSettings(o: AgentSettingsOptions): { env: Record<string, string> } {
  const env: Record<string, string> = {
    [STAMP_ENV]: generatedLine(o.command),
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    OTEL_METRICS_EXPORTER: 'otlp',
    // Logs carry prompt and tool content; traces are not needed for usage.
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOG_USER_PROMPTS: '0',
    // The agent has no default protocol: always set it.
    OTEL_EXPORTER_OTLP_PROTOCOL: o.protocol,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: o.protocol,
    OTEL_EXPORTER_OTLP_ENDPOINT: o.endpoint,
    // The default, delta, is mishandled by the collector's prometheus exporter.
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative',
    // Sessions are counted as distinct session ids: keep them.
    OTEL_METRICS_INCLUDE_SESSION_ID: 'true',
    OTEL_METRICS_INCLUDE_ACCOUNT_UUID: 'true',
  };
  if (o.token !== null) env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer ${o.token}`;
  if (o.resourceAttributes !== null) env.OTEL_RESOURCE_ATTRIBUTES = o.resourceAttributes;
  return { env };
}

export function renderManagedSettings(o: AgentSettingsOptions): string {
  return `${JSON.stringify(buildManagedSettings(o), null, 2)}\n`;
}

export function installNotes(): string {
  return [
    'Install the file as managed settings (highest precedence) on each agent host:',
    `  Linux:   ${MANAGED_SETTINGS_PATHS.linux}`,
    `  macOS:   ${MANAGED_SETTINGS_PATHS.macos}`,
    `  Windows: ${MANAGED_SETTINGS_PATHS.windows}`,
    'Running agent sessions keep their old settings: the environment is read once at start, so restart them.',
    '',
  ].join('\n');
}
