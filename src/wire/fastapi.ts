import { generatedHeader } from '../generated-header.js';
import { TracekitError } from '../errors.js';
import { DEFAULT_ENDPOINT, envFile, parseOtlpEndpoint, parseUnitName, shellWord, systemdDropIn, type WireFile, type WirePlan } from './common.js';

/** What the service needs from PyPI; the distro pulls in the SDK and `opentelemetry-instrument`. */
export const FASTAPI_PACKAGES = ['opentelemetry-distro', 'opentelemetry-exporter-otlp-proto-http', 'opentelemetry-instrumentation-fastapi'] as const;

export interface FastapiRequest {
  readonly app?: string | undefined;
  readonly serviceName?: string | undefined;
  readonly systemd?: string | undefined;
  readonly endpoint?: string | undefined;
  /** Prefix the Python tools live under (a virtualenv or /usr/local); ExecStart needs absolute paths. */
  readonly venv?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: string | undefined;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const APP_RE = new RegExp(`^${IDENT}(\\.${IDENT})*:${IDENT}(\\.${IDENT})*$`);

export function parseApp(raw: string | undefined): { module: string; attribute: string; text: string } {
  if (raw === undefined || raw === '') throw new TracekitError('WIRE_BAD_APP', 'expected --app MODULE:APP such as shop.main:app, found nothing');
  if (!APP_RE.test(raw)) {
    throw new TracekitError('WIRE_BAD_APP', `expected --app MODULE:APP (a dotted Python module path, a colon, the FastAPI object's name), such as shop.main:app, found '${raw}'`);
  }
  const [module = '', attribute = ''] = raw.split(':');
  return { module, attribute, text: raw };
}

function parseVenv(raw: string): string {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(raw) || raw.includes('//')) {
    throw new TracekitError('USAGE', `expected --venv to be an absolute path (letters, digits, '.', '_', '-', '/'), found '${raw}'`);
  }
  return raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
}

function parseHost(raw: string): string {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(raw)) throw new TracekitError('USAGE', `expected --host to be an address uvicorn binds, such as 127.0.0.1, found '${raw}'`);
  return raw;
}

function parsePort(raw: string): string {
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n < 1 || n > 65535) throw new TracekitError('USAGE', `expected --port to be a TCP port 1-65535, found '${raw}'`);
  return String(n);
}

function defaultServiceName(module: string): string {
  return module.split('.')[0]!.replace(/_/g, '-');
}

function parseServiceName(raw: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(raw)) {
    throw new TracekitError('USAGE', `expected --service-name to be 1-128 letters, digits, '.', '_' or '-', found '${raw}'`);
  }
  return raw;
}

/** The `OTEL_*` environment of an instrumented FastAPI service, in a fixed order. */
export function fastapiEnvironment(serviceName: string, endpoint: string): Array<[string, string]> {
  return [
    ['OTEL_SERVICE_NAME', serviceName],
    ['OTEL_TRACES_EXPORTER', 'otlp'],
    ['OTEL_METRICS_EXPORTER', 'otlp'],
    // The seam has no logs pipeline: logs could carry request content.
    ['OTEL_LOGS_EXPORTER', 'none'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', endpoint],
    // The collector's prometheus exporter mishandles delta points; Python defaults to cumulative, pin it.
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'cumulative'],
    ['OTEL_PROPAGATORS', 'tracecontext,baggage'],
  ];
}

/** argv of the start command: opentelemetry-instrument wraps uvicorn, which imports the app. */
export function fastapiArgv(prefix: string | null, app: string, host: string, port: string): string[] {
  const bin = (name: string): string => (prefix === null ? name : `${prefix}/bin/${name}`);
  return [bin('opentelemetry-instrument'), bin('uvicorn'), app, '--host', host, '--port', port];
}

export function commandLine(r: FastapiRequest): string {
  const parts = ['tracekit', 'wire', 'fastapi'];
  if (r.app !== undefined) parts.push('--app', r.app);
  if (r.serviceName !== undefined) parts.push('--service-name', r.serviceName);
  if (r.systemd !== undefined) parts.push('--systemd', r.systemd);
  if (r.endpoint !== undefined) parts.push('--endpoint', r.endpoint);
  if (r.venv !== undefined) parts.push('--venv', r.venv);
  if (r.host !== undefined) parts.push('--host', r.host);
  if (r.port !== undefined) parts.push('--port', r.port);
  return parts.map(shellWord).join(' ');
}

export function planFastapi(r: FastapiRequest): WirePlan {
  const app = parseApp(r.app);
  const endpoint = parseOtlpEndpoint(r.endpoint ?? DEFAULT_ENDPOINT);
  const serviceName = parseServiceName(r.serviceName ?? defaultServiceName(app.module));
  const unit = r.systemd === undefined ? null : parseUnitName(r.systemd);
  const venv = r.venv === undefined ? null : parseVenv(r.venv);
  const host = parseHost(r.host ?? '127.0.0.1');
  const port = parsePort(r.port ?? '8000');
  const command = commandLine(r);
  const env = fastapiEnvironment(serviceName, endpoint);
  const argv = fastapiArgv(venv, app.text, host, port);
  const pip = venv === null ? 'pip' : `${venv}/bin/pip`;

  const files: WireFile[] = [
    {
      path: 'requirements-otel.txt',
      title: 'packages to install',
      content: `${generatedHeader(command, 'hash')}# install with: ${pip} install -r requirements-otel.txt\n${FASTAPI_PACKAGES.join('\n')}\n`,
    },
    { path: 'otel.env', title: 'environment (EnvironmentFile= or `set -a; . ./otel.env; set +a`)', content: envFile(env, command) },
    {
      path: 'start.sh',
      title: 'start command',
      mode: 0o755,
      content: `#!/bin/sh\n${generatedHeader(command, 'hash')}set -a\n. "$(dirname "$0")/otel.env"\nset +a\nexec ${argv.map(shellWord).join(' ')}\n`,
    },
  ];
  if (unit !== null) {
    // systemd wants absolute paths in ExecStart=; without --venv the tools are where pip installs them system-wide.
    const execArgv = fastapiArgv(venv ?? '/usr/local', app.text, host, port);
    files.push({ path: `${unit}.d/tracekit-otel.conf`, title: `systemd drop-in, install as /etc/systemd/system/${unit}.d/tracekit-otel.conf`, content: systemdDropIn(env, command, execArgv) });
  }
  return { files };
}
