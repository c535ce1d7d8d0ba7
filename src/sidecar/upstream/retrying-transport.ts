import type { ExportResult, UpstreamBody, UpstreamTransport } from './export-result.js';

export interface RetryPolicy {
  readonly initialBackoffMillis: number;
  readonly maxBackoffMillis: number;
  /** Total attempts for one batch, the first included. */
  readonly maxAttempts: number;
  /** After this long since the first attempt no new attempt is started. */
  readonly maxElapsedMillis: number;
}

export interface RetryHooks {
  /** Called after every attempt, with its duration. */
  onAttempt?(result: ExportResult, durationMillis: number, attempt: number): void;
  now?(): number;
  random?(): number;
  /** Resolves after `ms`, or early when `abort` fires; injectable so tests need no real waiting. */
  sleep?(ms: number, abort?: AbortSignal): Promise<void>;
}

export function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    // A backoff must not keep the process alive on its own.
    timer.unref();
    abort?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      abort?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Exponential backoff with jitter: a random delay in [d/2, d] where d doubles per attempt up to the cap. */
export function backoffMillis(policy: RetryPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.maxBackoffMillis, policy.initialBackoffMillis * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Retries retryable results with backoff, honouring Retry-After. Returns the
 * last result: a 'retryable' one means the budget ran out (or `abort`
 * fired) and the caller decides where the batch goes next.
 */
export class RetryingTransport implements UpstreamTransport {
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, abort?: AbortSignal) => Promise<void>;

  constructor(
    private readonly inner: UpstreamTransport,
    private readonly policy: RetryPolicy,
    private readonly hooks: RetryHooks = {},
  ) {
    this.now = hooks.now ?? Date.now;
    this.random = hooks.random ?? Math.random;
    this.sleep = hooks.sleep ?? sleep;
  }

  async send(body: UpstreamBody, timeoutMillis: number, abort?: AbortSignal): Promise<ExportResult> {
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      const t0 = this.now();
      const result = await this.inner.send(body, timeoutMillis, abort);
      this.hooks.onAttempt?.(result, this.now() - t0, attempt);
      if (result.status !== 'retryable' || abort?.aborted || attempt >= this.policy.maxAttempts) return result;
      const delay = Math.max(backoffMillis(this.policy, attempt, this.random), result.retryAfterMillis ?? 0);
      if (this.now() + delay - started > this.policy.maxElapsedMillis) return result;
      await this.sleep(delay, abort);
      if (abort?.aborted) return { status: 'retryable', reason: 'shutdown' };
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
