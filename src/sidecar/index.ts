import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, rm, stat } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import path from 'node:path';
import { TracekitError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { SIGNALS, SIGNAL_NAMES, type SignalName } from '../otlp/index.js';
import { VERSION } from '../version.js';
import { withDefaults, type DeepPartial, type SidecarConfig } from './config.js';
import { SidecarMetrics, type MetricsSnapshot } from './metrics.js';
import { Pipeline } from './pipeline.js';
import { createHttp1Server, type Http1Server } from './http1.js';
import { createAbortCounter, createRequestHandler, type Transport } from './receiver.js';
import { Spool } from './spool.js';
import type { UpstreamTransport } from './upstream/export-result.js';
import { FileTransport } from './upstream/file-transport.js';
import { HttpTransport, createUpstreamPool } from './upstream/http-transport.js';
import { RetryingTransport, type RetryHooks } from './upstream/retrying-transport.js';

export type { SidecarConfig, DeepPartial } from './config.js';
export { resolveSidecarConfig, withDefaults, DEFAULT_CONFIG } from './config.js';
export type { MetricsSnapshot } from './metrics.js';
export { renderSystemdUnit } from './systemd.js';

export interface RunningSidecar {
  readonly tcpAddress: { host: string; port: number } | null;
  readonly socketPath: string | null;
  /** Counter snapshot (the same numbers /metrics shows). */
  metrics(): MetricsSnapshot;
  /** Stops accepting, drains within the shutdown timeout, leaves the rest in the spool. */
  close(): Promise<void>;
}

export interface SidecarDeps {
  /** Defaults to a pino logger on stdout at config.logLevel. */
  readonly logger?: Logger;
  /** Clock and sleep for the retry loop (tests fake them). */
  readonly retryHooks?: Omit<RetryHooks, 'onAttempt'>;
}

/** Starts the OTLP relay: listeners, queue, spool, upstream. Resolves once it is listening. */
export async function startSidecar(input: DeepPartial<SidecarConfig> | SidecarConfig, deps: SidecarDeps = {}): Promise<RunningSidecar> {
  const config = withDefaults(input as DeepPartial<SidecarConfig>);
  const log = deps.logger ?? createLogger({ level: config.logLevel });

  let spool: Spool | null = null;
  if (config.spoolDir) {
    try {
      spool = await Spool.open(config.spoolDir, config.maxSpoolBytes, log.child({ component: 'spool' }), config.durable);
    } catch (error) {
      throw new TracekitError('SIDECAR_SPOOL_UNWRITABLE', `--spool-dir: expected a writable directory, found ${(error as NodeJS.ErrnoException).code ?? 'an error'} at ${config.spoolDir}`, { cause: error });
    }
  }

  let pipeline: Pipeline | null = null;
  const metrics = new SidecarMetrics(() => ({
    queueBytes: pipeline?.queueBytes ?? 0,
    queueMaxBytes: config.maxQueueBytes,
    spoolBytes: spool?.bytes ?? 0,
    spoolMaxBytes: spool ? config.maxSpoolBytes : 0,
  }));

  const { transports, closeUpstream } = createTransports(config, metrics, deps.retryHooks ?? {});
  pipeline = new Pipeline(
    {
      maxQueueBytes: config.maxQueueBytes,
      maxBatchItems: config.maxBatchItems,
      maxBatchBytes: config.maxBatchBytes,
      batchTimeoutMillis: config.batchTimeoutMillis,
      upstreamConcurrency: config.upstream.concurrency,
      upstreamTimeoutMillis: config.upstream.timeoutMillis,
      spoolRetryMillis: config.retry.initialBackoffMillis,
      durable: config.durable,
    },
    transports,
    spool,
    metrics,
    log.child({ component: 'pipeline' }),
  );
  const activePipeline = pipeline;

  const readiness = () => {
    if (activePipeline.queueBytes >= config.maxQueueBytes * 0.9 && (!spool || !spool.hasRoom(config.maxBatchBytes))) return { ready: false, reason: 'queue and spool full' };
    if (!activePipeline.upstreamHealthy) return { ready: false, reason: 'upstream unreachable or failing' };
    return { ready: true, reason: 'upstream reachable, queue has room' };
  };
  const receiverDeps = { config, pipeline, metrics, log: log.child({ component: 'receiver' }), readiness };

  const servers: Http1Server[] = [];
  const serve = (transport: Transport): Server => {
    const server = createHttp1Server(createRequestHandler(receiverDeps, transport), {
      maxBodyBytes: config.maxRequestBytes,
      keepAliveTimeoutMillis: 65_000,
      onAborted: createAbortCounter(receiverDeps, transport),
      onHandlerError: (error) => receiverDeps.log.error({ err: error }, 'unexpected error handling a request'),
    });
    servers.push(server);
    return server.listener;
  };
  let tcpAddress: { host: string; port: number } | null = null;
  let socketPath: string | null = null;
  try {
    if (config.listen) {
      const server = serve('tcp');
      await listen(server, () => server.listen(config.listen!.port, config.listen!.host), `${config.listen.host}:${config.listen.port}`);
      const address = server.address() as AddressInfo;
      tcpAddress = { host: address.address, port: address.port };
    }
    if (config.socket) {
      const socket = config.socket;
      await mkdir(path.dirname(socket.path), { recursive: true });
      await removeStaleSocket(socket.path);
      const server = serve('unix');
      await listen(server, () => server.listen(socket.path), socket.path);
      // chmod after bind: the mode is what lets php-fpm's user connect.
      await chmod(socket.path, socket.mode);
      if (socket.group) await chown(socket.path, process.getuid?.() ?? -1, groupId(socket.group));
      socketPath = socket.path;
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    await closeUpstream();
    if (error instanceof TracekitError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new TracekitError('SIDECAR_LISTEN_FAILED', `--socket: expected to create ${config.socket?.path ?? 'the socket'} (mode 0${config.socket?.mode.toString(8)}), found ${e.code ?? e.message}${e.path ? ` at ${e.path}` : ''}; pick another --socket or --no-socket`, { cause: error });
  }

  // Supervisors and tests wait for this line, so it is written at any level but 'silent'.
  const readyLog = log.isLevelEnabled('info') || log.level === 'silent' ? log : log.child({}, { level: 'info' });
  readyLog.info(
    {
      tcp: tcpAddress ? `${tcpAddress.host}:${tcpAddress.port}` : null,
      socket: socketPath,
      upstream: describeUpstream(config),
      spool: config.spoolDir,
      durable: config.durable,
      signals: config.signals,
      version: VERSION,
    },
    'listening',
  );

  activePipeline.start();
  let closing: Promise<void> | null = null;
  return {
    tcpAddress,
    socketPath,
    metrics: () => metrics.snapshot(),
    close() {
      closing ??= (async () => {
        // Idle keep-alive connections close at once; requests in progress get their answers first.
        await Promise.all(servers.map((server) => server.close()));
        await activePipeline.shutdown(config.shutdownTimeoutMillis);
        await closeUpstream();
        if (socketPath) await rm(socketPath, { force: true });
        const m = metrics.snapshot();
        log.info({ forwarded: m.itemsForwarded, dropped: m.itemsDropped, spoolBytes: spool?.bytes ?? 0 }, 'stopped');
      })();
      return closing;
    },
  };
}

function describeUpstream(config: SidecarConfig): string {
  // Only origin and path: a URL could carry a query with secrets.
  if (config.upstream.url.startsWith('file:')) return config.upstream.url;
  const u = new URL(config.upstream.url);
  return `${u.origin}${u.pathname}`;
}

function upstreamUrl(config: SidecarConfig, signal: SignalName): string {
  return config.upstream.signalUrls[signal] ?? `${config.upstream.url}/v1/${signal}`;
}

function createTransports(config: SidecarConfig, metrics: SidecarMetrics, hooks: Omit<RetryHooks, 'onAttempt'>): { transports: Map<SignalName, UpstreamTransport>; closeUpstream: () => Promise<void> } {
  const pools = new Map<string, ReturnType<typeof createUpstreamPool>>();
  const transports = new Map<SignalName, UpstreamTransport>();
  for (const signal of SIGNAL_NAMES) {
    const target = upstreamUrl(config, signal);
    let inner: UpstreamTransport;
    if (config.upstream.url.startsWith('file:') && !config.upstream.signalUrls[signal]) {
      inner = new FileTransport(config.upstream.url.slice('file:'.length), SIGNALS[signal]);
    } else {
      const url = new URL(target);
      let pool = pools.get(url.origin);
      if (!pool) pools.set(url.origin, (pool = createUpstreamPool(url.origin, config.upstream.concurrency, config.upstream.caFile)));
      inner = new HttpTransport({
        url,
        pool,
        headers: config.upstream.headers,
        responseType: SIGNALS[signal].responseType,
        rejectedField: SIGNALS[signal].rejectedField,
        gzipLevel: config.upstream.compression === 'gzip' ? config.upstream.gzipLevel : 0,
      });
    }
    transports.set(
      signal,
      new RetryingTransport(inner, config.retry, {
        ...hooks,
        onAttempt(result, durationMillis, attempt) {
          metrics.upstreamRequests.inc([signal, result.status]);
          metrics.upstreamDuration.observe(signal, durationMillis / 1000);
          if (attempt > 1) metrics.upstreamRetries.inc([signal]);
        },
      }),
    );
  }
  return {
    transports,
    closeUpstream: async () => {
      await Promise.all([...pools.values()].map((p) => p.close()));
    },
  };
}

function listen(server: Server, start: () => void, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new TracekitError('SIDECAR_LISTEN_FAILED', `expected to listen on ${where}, found ${error.code ?? error.message}`, { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    start();
  });
}

async function removeStaleSocket(file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info) return;
  if (!info.isSocket()) throw new TracekitError('SIDECAR_LISTEN_FAILED', `--socket: expected a unix socket path, found a non-socket file at ${file}`);
  // A socket left by an earlier run that died; a live sidecar would still answer on it.
  const alive = await new Promise<boolean>((resolve) => {
    import('node:net').then(({ connect }) => {
      const c = connect(file);
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
  });
  if (alive) throw new TracekitError('SIDECAR_LISTEN_FAILED', `--socket: expected a free socket path, found another process answering on ${file}`);
  await rm(file, { force: true });
}

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8' }).trim();
    const gid = Number(line.split(':')[2]);
    if (Number.isInteger(gid)) return gid;
  } catch {
    // fall through
  }
  throw new TracekitError('SIDECAR_LISTEN_FAILED', `--socket-group: expected an existing group name or id, found '${name}'`);
}
