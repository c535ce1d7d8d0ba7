import { yamlFile } from '../collector/yaml-file.js';
import { TracekitError } from '../errors.js';
import { generatedHeader } from '../generated-header.js';
import { DEFAULT_ENDPOINT, envFile, parseOtlpEndpoint, parseUnitName, shellWord, systemdDropIn, type WireFile, type WirePlan } from './common.js';

/** LiteLLM's `otel` callback imports the OTLP HTTP and gRPC span exporters, so it needs the whole exporter package. */
export const LITELLM_PACKAGES = ['litellm[proxy]', 'opentelemetry-api', 'opentelemetry-sdk', 'opentelemetry-exporter-otlp'] as const;

export interface LitellmRequest {
  readonly serviceName?: string | undefined;
  readonly systemd?: string | undefined;
  readonly endpoint?: string | undefined;
}

/**
 * The environment LiteLLM's OpenTelemetry callback reads. It takes
 * OTEL_EXPORTER / OTEL_ENDPOINT (recent releases prefer
 * OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_ENDPOINT when those are
 * set, so they are left unset here). The endpoint carries /v1/traces: older
 * releases hand it to the exporter as is, newer ones keep a path that is
 * already there.
 */
export function litellmEnvironment(serviceName: string, endpoint: string): Array<[string, string]> {
  return [
    ['OTEL_EXPORTER', 'otlp_http'],
    ['OTEL_ENDPOINT', `${endpoint}/v1/traces`],
    ['OTEL_SERVICE_NAME', serviceName],
  ];
}

/** The proxy config fragment: the callback on, prompts and responses kept out of the spans. */
export function litellmConfig(): Record<string, unknown> {
  return { litellm_settings: { callbacks: ['otel'], turn_off_message_logging: true } };
}

export function commandLine(r: LitellmRequest): string {
  const parts = ['tracekit', 'wire', 'litellm'];
  if (r.serviceName !== undefined) parts.push('--service-name', r.serviceName);
  if (r.systemd !== undefined) parts.push('--systemd', r.systemd);
  if (r.endpoint !== undefined) parts.push('--endpoint', r.endpoint);
  return parts.map(shellWord).join(' ');
}

export function planLitellm(r: LitellmRequest): WirePlan {
  const endpoint = parseOtlpEndpoint(r.endpoint ?? DEFAULT_ENDPOINT);
  const serviceName = r.serviceName ?? 'litellm-proxy';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(serviceName)) {
    throw new TracekitError('USAGE', `expected --service-name to be 1-128 letters, digits, '.', '_' or '-', found '${serviceName}'`);
  }
  const unit = r.systemd === undefined ? null : parseUnitName(r.systemd);
  const command = commandLine(r);
  const env = litellmEnvironment(serviceName, endpoint);
  const files: WireFile[] = [
    { path: 'litellm-otel.yaml', title: 'proxy config: merge into the config.yaml given to `litellm --config`', content: yamlFile(litellmConfig(), command) },
    {
      path: 'requirements-otel.txt',
      title: 'packages to install',
      content: `${generatedHeader(command, 'hash')}# install with: pip install -r requirements-otel.txt\n${LITELLM_PACKAGES.join('\n')}\n`,
    },
    { path: 'otel.env', title: 'environment of the proxy process', content: envFile(env, command) },
  ];
  if (unit !== null) files.push({ path: `${unit}.d/tracekit-otel.conf`, title: `systemd drop-in, install as /etc/systemd/system/${unit}.d/tracekit-otel.conf`, content: systemdDropIn(env, command, null) });
  return { files };
}
