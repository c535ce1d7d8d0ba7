/**
 * Runs file analyses on a pool of worker threads, the calling thread sharing
 * the batches, or on the calling thread alone when `threads` is 0 or the
 * compiled worker script is not there (running from TypeScript sources).
 * Results come back in task order, whatever the thread count, so reports
 * are byte-identical.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { analyzeFile, type AnalyzeSettings, type AnalyzeTask } from './analyze-file.js';
import type { FileOutcome } from './facts.js';
import type { WorkerJob, WorkerReply } from './worker.js';

export interface AnalysisPool {
  readonly threads: number;
  run(tasks: readonly AnalyzeTask[], settings: AnalyzeSettings, onDone?: (count: number) => void): Promise<Array<FileOutcome | null>>;
  close(): Promise<void>;
}

export function workerScriptAvailable(): boolean {
  return existsSync(fileURLToPath(new URL('./worker.js', import.meta.url)));
}

export function createPool(threads: number): AnalysisPool {
  if (threads <= 0 || !workerScriptAvailable()) return inThreadPool();
  return new WorkerPool(threads);
}

function inThreadPool(): AnalysisPool {
  return {
    threads: 0,
    async run(tasks, settings, onDone) {
      const out: Array<FileOutcome | null> = [];
      for (const task of tasks) {
        out.push(analyzeFile(task, settings));
        onDone?.(1);
      }
      return out;
    },
    async close() {},
  };
}

class WorkerPool implements AnalysisPool {
  private readonly workers: Worker[] = [];
  private nextJob = 0;

  constructor(readonly threads: number) {
    const script = new URL('./worker.js', import.meta.url);
    for (let i = 0; i < threads; i++) this.workers.push(new Worker(script));
  }

  run(tasks: readonly AnalyzeTask[], settings: AnalyzeSettings, onDone?: (count: number) => void): Promise<Array<FileOutcome | null>> {
    const results: Array<FileOutcome | null> = new Array(tasks.length).fill(null);
    if (tasks.length === 0) return Promise.resolve(results);
    // The calling thread analyses batches too (it would otherwise wait): threads + 1 share the work.
    const sharers = this.threads + 1;
    // Small batches keep every core busy to the end; large ones cut message overhead. ~8 per thread balances a skewed tree.
    const batchSize = Math.max(4, Math.min(64, Math.ceil(tasks.length / (sharers * 8))));
    const batches: Array<{ start: number; tasks: AnalyzeTask[] }> = [];
    for (let start = 0; start < tasks.length; start += batchSize) batches.push({ start, tasks: tasks.slice(start, start + batchSize) });
    return new Promise((resolve, reject) => {
      let nextBatch = 0;
      let pending = 0;
      let failed = false;
      let settled = false;
      const cleanups: Array<() => void> = [];
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        for (const cleanup of cleanups) cleanup();
        if (error) reject(error);
        else resolve(results);
      };
      const feed = (worker: Worker, inflight: Map<number, number>): void => {
        const batch = batches[nextBatch++];
        if (!batch) return;
        const id = this.nextJob++;
        inflight.set(id, batch.start);
        pending += 1;
        const job: WorkerJob = { id, tasks: batch.tasks, settings };
        worker.postMessage(job);
      };
      const done = (): boolean => pending === 0 && nextBatch >= batches.length;
      for (const worker of this.workers) {
        const inflight = new Map<number, number>();
        const onMessage = (message: WorkerReply): void => {
          if (failed) return;
          const start = inflight.get(message.id);
          if (start === undefined) return;
          inflight.delete(message.id);
          pending -= 1;
          const outcomes = JSON.parse(message.results) as FileOutcome[];
          for (let i = 0; i < outcomes.length; i++) results[start + i] = outcomes[i] ?? null;
          onDone?.(outcomes.length);
          feed(worker, inflight);
          if (done()) finish();
        };
        const onError = (error: Error): void => {
          if (failed) return;
          failed = true;
          finish(error);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
        });
        // Two batches in flight: a worker has the next one while the calling thread is busy with its own.
        feed(worker, inflight);
        feed(worker, inflight);
      }
      const helpOut = (): void => {
        if (failed || settled) return;
        const batch = batches[nextBatch++];
        if (!batch) {
          if (done()) finish();
          return;
        }
        pending += 1;
        try {
          for (let i = 0; i < batch.tasks.length; i++) results[batch.start + i] = analyzeFile(batch.tasks[i]!, settings);
        } catch (error) {
          failed = true;
          finish(error as Error);
          return;
        }
        pending -= 1;
        onDone?.(batch.tasks.length);
        if (done()) finish();
        // Let the workers' messages in (and feed them) before the next batch.
        else setImmediate(helpOut);
      };
      setImmediate(helpOut);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
