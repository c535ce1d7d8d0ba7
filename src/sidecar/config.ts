import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TracekitError } from '../errors.js';
import { SIGNAL_NAMES, isSignalName, type SignalName } from '../otlp/index.js';
import type { RetryPolicy } from './upstream/retrying-transport.js';

export interface SidecarConfig {
  readonly listen: { readonly host: string; readonly port: number } | null;
  readonly socket: { readonly path: string; readonly mode: number; readonly group: string | null } | null;
  readonly allowRemote: boolean;
  readonly upstream: {
    /** Base URL (`/v1/<signal>` is appended) or `file:PATH`. */
    readonly url: string;
    /** Full per-signal URLs (OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT), used as given. */
    readonly signalUrls: Readonly<Partial<Record<SignalName, string>>>;
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMillis: number;
    readonly caFile: string | null;
    readonly concurrency: number;
    /**
     * Content-Encoding of forwarded batches. `none` is the OTLP exporter spec's default: on a private
     * sidecar → collector link, gzip's CPU (~80 µs per 26 KB request at level 1) costs more than the bandwidth it saves.
     */
    readonly compression: UpstreamCompression;
    /** Level used when compression is gzip: 1–9; 0 sends uncompressed protobuf whatever compression says. */
    readonly gzipLevel: number;
  };
  readonly retry: RetryPolicy;
  readonly spoolDir: string | null;
  readonly durable: boolean;
  readonly maxQueueBytes: number;
  readonly maxSpoolBytes: number;
  readonly maxRequestBytes: number;
  readonly maxDecompressedBytes: number;
  readonly maxBatchItems: number;
  readonly maxBatchBytes: number;
  readonly batchTimeoutMillis: number;
  readonly signals: readonly SignalName[];
  readonly shutdownTimeoutMillis: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type UpstreamCompression = 'gzip' | 'none';

const MiB = 1024 * 1024;

export const DEFAULT_CONFIG: SidecarConfig = Object.freeze({
  listen: { host: '127.0.0.1', port: 4318 },
  socket: { path: '/run/tracekit/otlp.sock', mode: 0o660, group: null },
  allowRemote: false,
  upstream: { url: 'http://localhost:4318', signalUrls: {}, headers: {}, timeoutMillis: 10_000, caFile: null, concurrency: 2, compression: 'none' as const, gzipLevel: 1 },
  retry: { initialBackoffMillis: 1_000, maxBackoffMillis: 30_000, maxAttempts: 8, maxElapsedMillis: 120_000 },
  spoolDir: null,
  durable: false,
  maxQueueBytes: 64 * MiB,
  maxSpoolBytes: 1024 * MiB,
  maxRequestBytes: 4 * MiB,
  maxDecompressedBytes: 16 * MiB,
  maxBatchItems: 8192,
  maxBatchBytes: 4 * MiB,
  batchTimeoutMillis: 1_000,
  signals: SIGNAL_NAMES,
  shutdownTimeoutMillis: 10_000,
  logLevel: 'info',
});

export type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends object | null ? (T[K] extends readonly unknown[] ? T[K] : DeepPartial<NonNullable<T[K]>> | Extract<T[K], null>) : T[K] };

/** Fills a partial (programmatic) config with defaults. Nested objects merge; null disables listen/socket/spool. */
export function withDefaults(input: DeepPartial<SidecarConfig>): SidecarConfig {
  const merged = {
    ...DEFAULT_CONFIG,
    ...input,
    listen: input.listen === null ? null : input.listen ? { ...DEFAULT_CONFIG.listen!, ...input.listen } : DEFAULT_CONFIG.listen,
    socket: input.socket === null ? null : input.socket ? { ...DEFAULT_CONFIG.socket!, ...input.socket } : DEFAULT_CONFIG.socket,
    upstream: { ...DEFAULT_CONFIG.upstream, ...input.upstream },
    retry: { ...DEFAULT_CONFIG.retry, ...input.retry },
  } as SidecarConfig;
  // A batch larger than a quarter of memory would leave nothing to spill while it is in flight.
  const maxBatchBytes = Math.max(1024, Math.min(merged.maxBatchBytes, Math.floor(merged.maxQueueBytes / 4)));
  return Object.freeze({ ...merged, maxBatchBytes });
}

// -- parsing of flag/env/file values ------------------------------------------

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: MiB, g: 1e9, gb: 1e9, gib: 1024 * MiB };

export function parseBytes(value: string | number, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(String(value));
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`${what}: expected a size such as 67108864, 64MiB or 1GB, found '${value}'`);
  return Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000 };

/** Durations: `10s`, `500ms`, `2m`; a bare number is seconds. */
export function parseDurationMillis(value: string | number, what: string): number {
  if (typeof value === 'number' && value >= 0) return value * 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|)\s*$/.exec(String(value));
  if (!m) throw new Error(`${what}: expected a duration such as 10s, 500ms or 2m, found '${value}'`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || port > 65535) throw new Error(`${what}: expected HOST:PORT such as 127.0.0.1:4318, found '${value}'`);
  return { host: m[1]!, port };
}

export function parseSignals(value: string | readonly string[], what: string): SignalName[] {
  const list = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const bad = list.filter((s) => !isSignalName(s));
  if (bad.length > 0 || list.length === 0) throw new Error(`${what}: expected a comma-separated list of traces, metrics, logs, found '${[value].flat().join(',')}'`);
  return [...new Set(list)] as SignalName[];
}

export function parseUpstream(value: string, what: string): string {
  if (value.startsWith('file:')) {
    const file = value.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path.isAbsolute(file)) throw new Error(`${what}: expected file:/absolute/path, found '${value}'`);
    return `file:${file}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what}: expected an http(s) URL such as http://collector:4318 or file:/path, found '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what}: expected an http or https URL, found '${value}'`);
  if (url.username || url.password) throw new Error(`${what}: credentials do not belong in the URL (they would show in process lists); use --token-file or TRACEKIT_UPSTREAM_TOKEN`);
  return value.replace(/\/+$/, '');
}

/** OTEL_EXPORTER_OTLP_HEADERS: `k=v,k2=v2`, values percent-encoded. */
export function parseHeaderList(value: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${what}: expected key=value pairs separated by commas, found '${part.split('=')[0]}…'`);
    out[decodeURIComponent(part.slice(0, eq).trim()).toLowerCase()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** OTEL_EXPORTER_OTLP_COMPRESSION's values; the spec names `gzip` and `none`. */
export function parseCompression(value: unknown, what: string): UpstreamCompression {
  const v = String(value).trim().toLowerCase();
  if (v !== 'gzip' && v !== 'none') throw new Error(`${what}: expected gzip or none, found '${String(value)}'`);
  return v;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

// -- the config file -------------------------------------------------------------

const sizeField = z.union([z.number().int().nonnegative(), z.string()]);
const durationField = z.union([z.number().nonnegative(), z.string()]);

const fileSchema = z
  .object({
    listen: z.union([z.string(), z.literal(false), z.null()]).optional(),
    socket: z.union([z.string(), z.literal(false), z.null()]).optional(),
    socketMode: z.union([z.string(), z.number()]).optional(),
    socketGroup: z.string().optional(),
    allowRemote: z.boolean().optional(),
    upstream: z.string().optional(),
    upstreamHeaders: z.record(z.string(), z.string()).optional(),
    upstreamTimeout: durationField.optional(),
    upstreamConcurrency: z.number().int().min(1).max(64).optional(),
    upstreamCompression: z.enum(['gzip', 'none']).optional(),
    upstreamGzipLevel: z.number().int().min(0).max(9).optional(),
    tokenFile: z.string().optional(),
    caFile: z.string().optional(),
    spoolDir: z.union([z.string(), z.null()]).optional(),
    durable: z.boolean().optional(),
    maxQueueBytes: sizeField.optional(),
    maxSpoolBytes: sizeField.optional(),
    maxRequestBytes: sizeField.optional(),
    maxDecompressedBytes: sizeField.optional(),
    maxBatchItems: z.number().int().min(1).optional(),
    maxBatchBytes: sizeField.optional(),
    batchTimeout: durationField.optional(),
    signals: z.union([z.string(), z.array(z.string())]).optional(),
    shutdownTimeout: durationField.optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    retry: z
      .object({
        initialBackoff: durationField.optional(),
        maxBackoff: durationField.optional(),
        maxAttempts: z.number().int().min(1).optional(),
        maxElapsed: durationField.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SidecarFileConfig = z.infer<typeof fileSchema>;

/** Command-line values as commander hands them over (strings; false for --no-x). */
export interface SidecarFlags {
  listen?: string | false;
  socket?: string | false;
  socketMode?: string;
  socketGroup?: string;
  allowRemote?: boolean;
  upstream?: string;
  upstreamCompression?: string;
  tokenFile?: string;
  caFile?: string;
  spoolDir?: string;
  maxQueueBytes?: string;
  maxSpoolBytes?: string;
  signals?: string;
  shutdownTimeout?: string;
  durable?: boolean;
  config?: string;
  logLevel?: string;
}

export interface ResolveInput {
  readonly flags: SidecarFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Non-fatal problems (bad environment values) are reported here and ignored. */
  readonly warn: (message: string) => void;
}

type Layer = Partial<Record<string, unknown>>;

function readConfigFile(file: string): SidecarFileConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TracekitError('INPUT_NOT_FOUND', `--config: expected a readable YAML or JSON file, found ${(error as NodeJS.ErrnoException).code ?? 'an error'} at ${file}`);
  }
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new TracekitError('SIDECAR_BAD_CONFIG', `${file}: expected YAML or JSON, found a syntax error: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = fileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TracekitError('SIDECAR_BAD_CONFIG', `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The one place configuration is resolved: flags > TRACEKIT_* env >
 * OTEL_EXPORTER_OTLP_(TRACES_)* env > --config file > defaults. Bad flags or
 * file values throw; bad environment values warn and are skipped.
 */
export function resolveSidecarConfig(input: ResolveInput): SidecarConfig {
  const { flags, env } = input;
  const file: SidecarFileConfig = flags.config ? readConfigFile(path.resolve(input.cwd, flags.config)) : {};
  const out: Record<string, unknown> = {};

  // Each setting: list candidate layers in precedence order; the first present one wins.
  type Source = { value: unknown; origin: 'flag' | 'env' | 'file'; name: string };
  const pick = (...sources: (Source | null)[]): Source | null => sources.find((s) => s !== null && s.value !== undefined && s.value !== '') ?? null;
  const flag = (value: unknown, name: string): Source => ({ value, origin: 'flag', name });
  const envVar = (name: string): Source => ({ value: env[name], origin: 'env', name });
  const fromFile = (value: unknown, name: string): Source => ({ value, origin: 'file', name: `${flags.config}: ${name}` });

  const apply = <T>(key: string, source: Source | null, parse: (v: unknown, what: string) => T, fallback?: () => void): void => {
    if (!source) return;
    try {
      out[key] = parse(source.value, source.origin === 'flag' ? `--${source.name}` : source.name);
    } catch (error) {
      const message = (error as Error).message;
      if (source.origin === 'env') {
        input.warn(`ignoring ${message}`);
        fallback?.();
        return;
      }
      throw new TracekitError(source.origin === 'file' ? 'SIDECAR_BAD_CONFIG' : 'USAGE', message);
    }
  };
  const str = (v: unknown) => String(v);
  const bool = (v: unknown, what: string) => {
    if (typeof v === 'boolean') return v;
    if (/^(1|true|yes|on)$/i.test(String(v))) return true;
    if (/^(0|false|no|off)$/i.test(String(v))) return false;
    throw new Error(`${what}: expected true or false, found '${v}'`);
  };
  const listenParse = (v: unknown, what: string) => (v === false || v === null || v === 'off' || v === 'none' ? null : parseHostPort(String(v), what));

  apply('listen', pick(flags.listen === undefined ? null : flag(flags.listen, 'listen'), envVar('TRACEKIT_LISTEN'), fromFile(file.listen, 'listen')), listenParse);
  apply('socketPath', pick(flags.socket === undefined ? null : flag(flags.socket, 'socket'), envVar('TRACEKIT_SOCKET'), fromFile(file.socket, 'socket')), (v) =>
    v === false || v === null || v === 'off' || v === 'none' ? null : String(v),
  );
  apply('socketMode', pick(flag(flags.socketMode, 'socket-mode'), envVar('TRACEKIT_SOCKET_MODE'), fromFile(file.socketMode, 'socketMode')), (v, what) => {
    const s = String(typeof v === 'number' ? v.toString(8) : v);
    if (!/^0?[0-7]{3}$/.test(s)) throw new Error(`${what}: expected an octal mode such as 0660, found '${s}'`);
    return parseInt(s, 8);
  });
  apply('socketGroup', pick(flag(flags.socketGroup, 'socket-group'), envVar('TRACEKIT_SOCKET_GROUP'), fromFile(file.socketGroup, 'socketGroup')), str);
  apply('allowRemote', pick(flag(flags.allowRemote, 'allow-remote'), envVar('TRACEKIT_ALLOW_REMOTE'), fromFile(file.allowRemote, 'allowRemote')), bool);
  apply(
    'upstream',
    pick(flag(flags.upstream, 'upstream'), envVar('TRACEKIT_UPSTREAM'), envVar('OTEL_EXPORTER_OTLP_ENDPOINT'), fromFile(file.upstream, 'upstream')),
    (v, what) => parseUpstream(String(v), what),
  );
  const signalUrls: Partial<Record<SignalName, string>> = {};
  if (!flags.upstream && !env.TRACEKIT_UPSTREAM) {
    for (const signal of SIGNAL_NAMES) {
      const name = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
      const value = env[name];
      if (!value) continue;
      try {
        signalUrls[signal] = parseUpstream(value, name);
      } catch (error) {
        input.warn(`ignoring ${(error as Error).message}`);
      }
    }
  }
  apply('spoolDir', pick(flag(flags.spoolDir, 'spool-dir'), envVar('TRACEKIT_SPOOL_DIR'), fromFile(file.spoolDir, 'spoolDir')), (v) => (v === null ? null : path.resolve(input.cwd, String(v))));
  apply('durable', pick(flag(flags.durable, 'durable'), envVar('TRACEKIT_DURABLE'), fromFile(file.durable, 'durable')), bool);
  for (const [key, flagName, envName] of [
    ['maxQueueBytes', 'max-queue-bytes', 'TRACEKIT_MAX_QUEUE_BYTES'],
    ['maxSpoolBytes', 'max-spool-bytes', 'TRACEKIT_MAX_SPOOL_BYTES'],
    ['maxRequestBytes', '', 'TRACEKIT_MAX_REQUEST_BYTES'],
    ['maxDecompressedBytes', '', ''],
    ['maxBatchBytes', '', ''],
  ] as const) {
    const flagValue = flagName ? (flags as Record<string, unknown>)[key] : undefined;
    apply(key, pick(flag(flagValue, flagName), envName ? envVar(envName) : null, fromFile((file as Record<string, unknown>)[key], key)), (v, what) => parseBytes(v as string | number, what));
  }
  apply('maxBatchItems', pick(fromFile(file.maxBatchItems, 'maxBatchItems')), Number);
  apply('batchTimeoutMillis', pick(fromFile(file.batchTimeout, 'batchTimeout')), (v, what) => parseDurationMillis(v as string, what));
  apply('signals', pick(flag(flags.signals, 'signals'), envVar('TRACEKIT_SIGNALS'), fromFile(file.signals, 'signals')), (v, what) => parseSignals(v as string, what));
  apply('shutdownTimeoutMillis', pick(flag(flags.shutdownTimeout, 'shutdown-timeout'), envVar('TRACEKIT_SHUTDOWN_TIMEOUT'), fromFile(file.shutdownTimeout, 'shutdownTimeout')), (v, what) =>
    parseDurationMillis(v as string, what),
  );
  apply('logLevel', pick(flag(flags.logLevel, 'log-level'), envVar('TRACEKIT_LOG_LEVEL'), fromFile(file.logLevel, 'logLevel')), (v, what) => {
    const level = String(v);
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) throw new Error(`${what}: expected fatal, error, warn, info, debug, trace or silent, found '${level}'`);
    return level;
  });
  apply(
    'timeoutMillis',
    pick(envVar('TRACEKIT_UPSTREAM_TIMEOUT'), envVar('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'), envVar('OTEL_EXPORTER_OTLP_TIMEOUT'), fromFile(file.upstreamTimeout, 'upstreamTimeout')),
    (v, what) => {
      // The OTEL_* variables are plain milliseconds; ours take units.
      if (what.startsWith('OTEL_')) {
        if (!/^\d+$/.test(String(v))) throw new Error(`${what}: expected milliseconds, found '${v}'`);
        return Number(v);
      }
      return parseDurationMillis(v as string, what);
    },
  );
  apply(
    'compression',
    pick(
      flag(flags.upstreamCompression, 'upstream-compression'),
      envVar('TRACEKIT_UPSTREAM_COMPRESSION'),
      envVar('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION'),
      envVar('OTEL_EXPORTER_OTLP_COMPRESSION'),
      fromFile(file.upstreamCompression, 'upstreamCompression'),
    ),
    parseCompression,
  );
  apply('gzipLevel', pick(envVar('TRACEKIT_UPSTREAM_GZIP_LEVEL'), fromFile(file.upstreamGzipLevel, 'upstreamGzipLevel')), (v, what) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 9) throw new Error(`${what}: expected 0 (no compression) to 9, found '${v}'`);
    return n;
  });
  apply('caFile', pick(flag(flags.caFile, 'ca-file'), envVar('TRACEKIT_CA_FILE'), fromFile(file.caFile, 'caFile')), (v) => path.resolve(input.cwd, String(v)));

  // Headers: OTEL_* lists, then the file's, then the token (which wins for authorization).
  const headers: Record<string, string> = {};
  Object.assign(headers, file.upstreamHeaders ?? {});
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const value = env[name];
    if (!value) continue;
    try {
      Object.assign(headers, parseHeaderList(value, name));
    } catch (error) {
      input.warn(`ignoring ${(error as Error).message}`);
    }
  }
  const token = readToken(flags.tokenFile ? path.resolve(input.cwd, flags.tokenFile) : undefined, env, file.tokenFile ? path.resolve(input.cwd, file.tokenFile) : undefined);
  if (token) headers.authorization = `Bearer ${token}`;

  const listen = (out.listen as SidecarConfig['listen'] | undefined) ?? (out.listen === null ? null : DEFAULT_CONFIG.listen);
  const allowRemote = (out.allowRemote as boolean | undefined) ?? false;
  if (listen && !isLoopback(listen.host) && !allowRemote) {
    throw new TracekitError('SIDECAR_REMOTE_LISTEN', `--listen: expected a loopback address (127.0.0.1, ::1, localhost), found '${listen.host}'; add --allow-remote to listen on it anyway`);
  }
  const socketPath = out.socketPath === undefined ? DEFAULT_CONFIG.socket!.path : (out.socketPath as string | null);
  const durable = (out.durable as boolean | undefined) ?? false;
  const spoolDir = (out.spoolDir as string | null | undefined) ?? null;
  if (durable && !spoolDir) throw new TracekitError('USAGE', '--durable: expected --spool-dir as well (durable acceptance writes to the spool), found no spool directory');
  if (!listen && !socketPath) throw new TracekitError('USAGE', 'expected at least one of --listen and --socket, found both disabled');

  const r = file.retry ?? {};
  const retryValue = (v: string | number | undefined, fallback: number, what: string) => {
    if (v === undefined) return fallback;
    try {
      return parseDurationMillis(v, what);
    } catch (error) {
      throw new TracekitError('SIDECAR_BAD_CONFIG', (error as Error).message);
    }
  };
  return withDefaults({
    listen,
    socket: socketPath ? { path: path.resolve(input.cwd, socketPath), mode: (out.socketMode as number | undefined) ?? 0o660, group: (out.socketGroup as string | undefined) ?? null } : null,
    allowRemote,
    upstream: {
      url: (out.upstream as string | undefined) ?? DEFAULT_CONFIG.upstream.url,
      signalUrls,
      headers,
      timeoutMillis: (out.timeoutMillis as number | undefined) ?? DEFAULT_CONFIG.upstream.timeoutMillis,
      caFile: (out.caFile as string | undefined) ?? null,
      concurrency: file.upstreamConcurrency ?? DEFAULT_CONFIG.upstream.concurrency,
      compression: (out.compression as UpstreamCompression | undefined) ?? DEFAULT_CONFIG.upstream.compression,
      gzipLevel: (out.gzipLevel as number | undefined) ?? DEFAULT_CONFIG.upstream.gzipLevel,
    },
    retry: {
      initialBackoffMillis: retryValue(r.initialBackoff, DEFAULT_CONFIG.retry.initialBackoffMillis, 'retry.initialBackoff'),
      maxBackoffMillis: retryValue(r.maxBackoff, DEFAULT_CONFIG.retry.maxBackoffMillis, 'retry.maxBackoff'),
      maxAttempts: r.maxAttempts ?? DEFAULT_CONFIG.retry.maxAttempts,
      maxElapsedMillis: retryValue(r.maxElapsed, DEFAULT_CONFIG.retry.maxElapsedMillis, 'retry.maxElapsed'),
    },
    spoolDir,
    durable,
    ...(pickDefined(out, ['maxQueueBytes', 'maxSpoolBytes', 'maxRequestBytes', 'maxDecompressedBytes', 'maxBatchBytes', 'maxBatchItems', 'batchTimeoutMillis', 'signals', 'shutdownTimeoutMillis', 'logLevel']) as Layer),
  } as DeepPartial<SidecarConfig>);
}

function pickDefined(source: Record<string, unknown>, keys: readonly string[]): Layer {
  const out: Layer = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

/** The upstream bearer token: --token-file, then TRACEKIT_UPSTREAM_TOKEN, then the config file's tokenFile. Never from argv. */
function readToken(flagFile: string | undefined, env: Readonly<Record<string, string | undefined>>, configFile: string | undefined): string | null {
  const fromFile = (file: string, what: string) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new TracekitError('SIDECAR_TOKEN_UNREADABLE', `${what}: expected a readable file holding the upstream token, found ${(error as NodeJS.ErrnoException).code ?? 'an error'} at ${file}`);
    }
    const token = text.trim();
    if (token === '' || /[\r\n]/.test(token)) throw new TracekitError('SIDECAR_TOKEN_UNREADABLE', `${what}: expected one line holding the token in ${file}, found ${token === '' ? 'an empty file' : 'several lines'}`);
    return token;
  };
  if (flagFile) return fromFile(flagFile, '--token-file');
  const envToken = env.TRACEKIT_UPSTREAM_TOKEN?.trim();
  if (envToken) return envToken;
  if (env.TRACEKIT_UPSTREAM_TOKEN_FILE) return fromFile(env.TRACEKIT_UPSTREAM_TOKEN_FILE, 'TRACEKIT_UPSTREAM_TOKEN_FILE');
  if (configFile) return fromFile(configFile, 'tokenFile');
  return null;
}
