import { TracekitError } from '../errors.js';
import { formatHostPort, parseCidrList, parseListenAddress, type Cidr, type IpFamily } from './net.js';

/** Everything the generators need, resolved and validated once. */
export interface SeamOptions {
  /** Private address the OTLP receivers bind. */
  readonly listen: string;
  readonly listenFamily: IpFamily;
  readonly allow: readonly Cidr[];
  /** Path of the bearer token on the collector host (read by systemd as a credential), or null for no auth. */
  readonly tokenFile: string | null;
  /** OTLP gRPC endpoint of Tempo (`host:port`) and whether it is plain text. */
  readonly tempoEndpoint: string;
  readonly tempoInsecure: boolean;
  /** Tempo's HTTP API, for the Grafana datasource. */
  readonly tempoQueryUrl: string;
  /** True when Tempo is the local one tracekit writes a config for. */
  readonly localTempo: boolean;
  readonly grafana: boolean;
  readonly prometheusUrl: string;
  /** Where the files are installed on the monitoring host (paths inside the configs and units). */
  readonly configDir: string;
  readonly otelcolBinary: string;
  readonly tempoBinary: string;
  /** The command line written into every header. */
  readonly command: string;
}

export const PORTS = { otlpGrpc: 4317, otlpHttp: 4318, exporter: 8889, telemetry: 8888, healthCheck: 13133, tempoOtlp: 14317, tempoHttp: 3200, tempoGrpc: 9096 } as const;

export const DEFAULTS = {
  configDir: '/etc/tracekit',
  otelcolBinary: '/usr/bin/otelcol-contrib',
  tempoBinary: '/usr/bin/tempo',
  prometheusUrl: 'http://127.0.0.1:9090',
} as const;

export interface RawSeamOptions {
  listen?: string;
  allow?: readonly string[];
  tokenFile?: string;
  tempo?: string;
  grafana?: boolean;
  prometheusUrl?: string;
  configDir?: string;
  otelcolBinary?: string;
  tempoBinary?: string;
  command: string;
}

function parseTempo(raw: string): { endpoint: string; insecure: boolean; queryUrl: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TracekitError('COLLECTOR_BAD_TEMPO_URL', `--tempo expects Tempo's OTLP gRPC URL such as http://10.0.0.9:4317, found '${raw}'`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.port === '' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new TracekitError('COLLECTOR_BAD_TEMPO_URL', `--tempo expects http(s)://HOST:PORT (Tempo's OTLP gRPC receiver, no path), found '${raw}'`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    endpoint: formatHostPort(host, Number(url.port)),
    insecure: url.protocol === 'http:',
    queryUrl: `${url.protocol}//${formatHostPort(host, PORTS.tempoHttp)}`,
  };
}

function absolutePath(flag: string, value: string): string {
  if (!value.startsWith('/')) throw new TracekitError('USAGE', `${flag} expects an absolute path on the monitoring host, found '${value}'`);
  return value;
}

export function resolveSeamOptions(raw: RawSeamOptions): SeamOptions {
  if (raw.listen === undefined) throw new TracekitError('USAGE', '--listen expects the private address the collector binds (e.g. 10.0.0.5), found nothing');
  if (raw.allow === undefined || raw.allow.length === 0) throw new TracekitError('USAGE', '--allow expects the CIDRs allowed to send OTLP (e.g. 10.0.0.0/8), found nothing');
  const listen = parseListenAddress(raw.listen);
  const allow = parseCidrList(raw.allow);
  const otherFamily = allow.find((c) => c.family !== listen.family);
  if (otherFamily !== undefined) {
    throw new TracekitError(
      'COLLECTOR_BAD_CIDR',
      `--allow expects IPv${listen.family} CIDRs to reach a collector listening on ${listen.address}, found IPv${otherFamily.family} '${otherFamily.text}'`,
    );
  }
  const tempo = raw.tempo === undefined ? null : parseTempo(raw.tempo);
  const prometheusUrl = raw.prometheusUrl ?? DEFAULTS.prometheusUrl;
  if (!/^https?:\/\/[^/]+/.test(prometheusUrl)) throw new TracekitError('USAGE', `--prometheus-url expects http(s)://HOST:PORT, found '${prometheusUrl}'`);
  return Object.freeze({
    listen: listen.address,
    listenFamily: listen.family,
    allow,
    tokenFile: raw.tokenFile === undefined ? null : raw.tokenFile,
    tempoEndpoint: tempo?.endpoint ?? formatHostPort('127.0.0.1', PORTS.tempoOtlp),
    tempoInsecure: tempo?.insecure ?? true,
    tempoQueryUrl: tempo?.queryUrl ?? `http://127.0.0.1:${PORTS.tempoHttp}`,
    localTempo: tempo === null,
    grafana: raw.grafana === true,
    prometheusUrl: prometheusUrl.replace(/\/+$/, ''),
    configDir: absolutePath('--config-dir', raw.configDir ?? DEFAULTS.configDir).replace(/\/+$/, ''),
    otelcolBinary: absolutePath('--otelcol-bin', raw.otelcolBinary ?? DEFAULTS.otelcolBinary),
    tempoBinary: absolutePath('--tempo-bin', raw.tempoBinary ?? DEFAULTS.tempoBinary),
    command: raw.command,
  });
}

