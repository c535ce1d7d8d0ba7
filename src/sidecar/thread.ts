import { Worker } from 'node:worker_threads';
import { ERRORS, TracekitError, type ErrorName } from '../errors.js';
import type { SidecarConfig } from './config.js';

/**
 * The sidecar runs on a worker thread of the `tracekit sidecar` process, so
 * that its V8 heap can have a young generation of its own size: 3 MiB
 * (semi-spaces of 1 MiB, where Node's default is 16 MiB). Node has no other
 * way to size it than flags given before the process starts.
 *
 * Why: every request's body lives outside V8's heap (the socket read it
 * arrived in, kept in the queue), and V8 frees those buffers only when it
 * collects the objects that point at them. With a large young generation the
 * sidecar allocates so little on the heap between scavenges that the buffers
 * pile up and V8 falls back to full mark-compacts: under wrk -c8 with 26 KB
 * bodies it ran ~24 of them a second, and the CPU per request grew from ~95
 * to ~150–190 µs within 15 s. With 1 MiB semi-spaces the cheap scavenges free
 * the buffers (~70 a second, no mark-compacts) and the cost stays at ~76–85
 * µs, with ~25 MiB less RSS (bench/sidecar/ingest.mjs; BENCHMARKS.md).
 */
export const SIDECAR_YOUNG_GENERATION_MIB = 3;

export interface SidecarThread {
  readonly tcpAddress: { host: string; port: number } | null;
  readonly socketPath: string | null;
  /** V8's new space (the young generation's semi-spaces) on the sidecar's thread, as started. */
  readonly newSpaceBytes: number;
  /** Stops accepting, drains within the shutdown timeout, and resolves when the thread has ended. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** Resolves when the thread ends without being stopped (a crash): its exit code and the error it died of. */
  readonly ended: Promise<{ code: number; error: Error | null }>;
}

/** What the thread reports: started, stopped, or failed (with the error, rebuilt on this side). */
export type ThreadMessage =
  | { readonly type: 'started'; readonly tcpAddress: { host: string; port: number } | null; readonly socketPath: string | null; readonly newSpaceBytes: number }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly error: SerializedError };

export interface SerializedError {
  readonly code: string | null;
  readonly message: string;
  readonly stack: string | undefined;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof TracekitError) return { code: error.code, message: error.message, stack: error.stack };
  const e = error as { message?: string; stack?: string };
  return { code: null, message: e?.message ?? String(error), stack: e?.stack };
}

/** A TracekitError again (same code, message and exit status), or a plain Error. */
function rebuildError(error: SerializedError): Error {
  const name = error.code === null ? undefined : (Object.keys(ERRORS) as ErrorName[]).find((n) => ERRORS[n].code === error.code);
  const rebuilt = name ? new TracekitError(name, error.message) : new Error(error.message);
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

/** Starts the sidecar on its own thread; resolves once it listens, rejects with its start-up error. */
export function startSidecarThread(config: SidecarConfig): Promise<SidecarThread> {
  const worker = new Worker(new URL('./thread-main.js', import.meta.url), {
    workerData: { config },
    resourceLimits: { maxYoungGenerationSizeMb: SIDECAR_YOUNG_GENERATION_MIB },
  });
  let stopping = false;
  let crash: Error | null = null;
  worker.on('error', (error) => {
    crash = error;
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const ended = exited.then((code) => ({ code, error: crash }));
  const stopped = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'stopped') resolve();
      else if (message.type === 'failed' && stopping) reject(rebuildError(message.error));
    });
  });
  // A failure after start-up is the thread's own to report; this keeps an unawaited rejection quiet.
  stopped.catch(() => {});
  return new Promise<SidecarThread>((resolve, reject) => {
    const onStartMessage = (message: ThreadMessage) => {
      if (message.type === 'started') {
        worker.off('message', onStartMessage);
        resolve({
          tcpAddress: message.tcpAddress,
          socketPath: message.socketPath,
          newSpaceBytes: message.newSpaceBytes,
          ended,
          async stop(signal) {
            stopping = true;
            worker.postMessage({ type: 'stop', signal });
            await Promise.race([stopped, exited.then((code) => (code === 0 ? undefined : Promise.reject(crash ?? new Error(`the sidecar thread exited with ${code} while stopping`))))]);
            await worker.terminate();
          },
        });
      } else if (message.type === 'failed') {
        reject(rebuildError(message.error));
        void worker.terminate();
      }
    };
    worker.on('message', onStartMessage);
    void exited.then((code) => reject(crash ?? new Error(`the sidecar thread exited with ${code} before it was listening`)));
  });
}
