export interface PollOptions {
  timeoutMillis?: number;
  intervalMillis?: number;
  /** Treat a probe that throws as "not yet" (quoting the last error at the deadline) instead of failing at once. */
  retryOnError?: boolean;
}

/**
 * Readiness polling with a deadline (not a sleep used for ordering): calls
 * `probe` until it returns a value, and fails naming `what` when the deadline
 * passes.
 */
export async function pollUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: PollOptions = {}): Promise<T> {
  const { timeoutMillis = 30_000, intervalMillis = 20, retryOnError = false } = options;
  const deadline = Date.now() + timeoutMillis;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (!retryOnError) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMillis));
  }
}

/** pollUntil for a yes/no condition. */
export async function pollUntilTrue(what: string, condition: () => boolean | Promise<boolean>, options?: PollOptions): Promise<void> {
  await pollUntil(what, async () => ((await condition()) ? true : undefined), options);
}
