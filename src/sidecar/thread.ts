import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { ERRORS, TracekitError, type ErrorName } from '../errors.js';
import type { SidecarConfig } from './config.js';

/**
 * The sidecar runs on a worker thread of the `tracekit sidecar` process, so
 * that its V8 heap can have a young generation of its own size: 16 MiB,
 * where Node's default is 48 MiB (16 MiB semi-spaces). Node has no other way
 * to size it than flags given before the process starts.
 *
 * Why: every request's body lives outside V8's heap (the socket read it
 * arrived in, kept in the queue until forwarded), and V8 frees those buffers
 * only when it collects the objects that point at them. When scavenges are
 * too rare for the rate at which bodies arrive, the buffers pile up and V8
 * falls back to full mark-compacts; when the young generation is too small,
 * objects that live as long as a batch are promoted and fill the old
 * generation, with the same result. Under wrk -c8, in 3 s rounds against one
 * sidecar (--trace-gc; full mark-compacts per round, CPU per request):
 *
 *   young generation   10 spans           100 spans         PHP JSON export
 *   3 MiB              34 MC, 30–33 µs    0–2, 74–91 µs     16–22, 46–56 µs
 *   16 MiB             0–2, 26–29 µs      0–2, 76–89 µs     0–2, 37–41 µs
 *   48 MiB (default)   0–2, 26–31 µs      0–3, 79–90 µs     23–33, 50–61 µs
 *
 * (Before batches were forwarded in parts and small requests copied into an
 * arena, the default ran ~24 mark-compacts a second with 100-span bodies and
 * the CPU per request grew from ~95 to 150–190 µs within 15 s.)
 */
export const SIDECAR_YOUNG_GENERATION_MIB = 16;

/**
 * The old generation's initial size, MiB (V8's --initial-old-space-size: the
 * size up to which its old generation grows before the first full
 * collection). V8 reads it when it creates an isolate, so it is set as a V8
 * flag just before the thread starts; the heaps of isolates already running
 * (the process's main thread) keep what they had.
 *
 * Why: after the sidecar had been idle for ~9 s (between bursts, as between
 * the benchmark's rounds), V8 set its old generation's limit to ~10 MB over
 * the ~15 MB live, and under 26 KB requests then ran a full mark-compact
 * every ~50 ms from then on (~155 in 9 s of load where a sidecar loaded
 * without a pause ran 2; --trace-gc). With this set: 3, and the CPU per
 * 100-span request after a pause went from 91–117 µs to 62–67 (BENCHMARKS.md,
 * sidecar, session 7). That V8 then keeps the limit higher after a pause is
 * what was measured, not something V8 documents. Neither a larger nor a
 * smaller young generation, nor --no-memory-reducer, changed it.
 */
export const SIDECAR_INITIAL_OLD_GENERATION_MIB = 64;

export interface SidecarThread {
  readonly tcpAddress: { host: string; port: number } | null;
  readonly socketPath: string | null;
  /** The young generation's limit as the sidecar's thread sees it (worker_threads' resourceLimits there). */
  readonly youngGenerationMib: number;
  /** Stops accepting, drains within the shutdown timeout, and resolves when the thread has ended. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** Resolves when the thread has ended, after stop() or on its own (a crash): its exit code and the error it died of, if any. */
  readonly ended: Promise<{ code: number; error: Error | null }>;
}

/** What the thread reports: started, stopped, or failed (with the error, rebuilt on this side). */
export type ThreadMessage =
  | { readonly type: 'started'; readonly tcpAddress: { host: string; port: number } | null; readonly socketPath: string | null; readonly youngGenerationMib: number }
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
  setFlagsFromString(`--initial-old-space-size=${SIDECAR_INITIAL_OLD_GENERATION_MIB}`);
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
          youngGenerationMib: message.youngGenerationMib,
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
