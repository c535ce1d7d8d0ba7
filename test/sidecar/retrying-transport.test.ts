import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyHttpStatus, parseRetryAfter, type ExportResult, type UpstreamTransport } from '../../src/sidecar/upstream/export-result.js';
import { RetryingTransport, backoffMillis } from '../../src/sidecar/upstream/retrying-transport.js';

/** A scripted upstream: answers the given results in order and records when each attempt happened. */
class ScriptedTransport implements UpstreamTransport {
  readonly attemptsAt: number[] = [];
  constructor(private readonly script: ExportResult[]) {}
  async send(): Promise<ExportResult> {
    this.attemptsAt.push(Date.now());
    return this.script.shift() ?? { status: 'success', rejectedItems: 0 };
  }
  async close(): Promise<void> {}
}

const policy = { initialBackoffMillis: 1000, maxBackoffMillis: 8000, maxAttempts: 6, maxElapsedMillis: 60_000 };
const retryable: ExportResult = { status: 'retryable', reason: 'ECONNREFUSED' };

describe('retrying transport (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('backs off exponentially with jitter, capped, then succeeds', async () => {
    const inner = new ScriptedTransport([retryable, retryable, retryable, retryable]);
    const t = new RetryingTransport(inner, policy, { random: () => 1 });
    const done = t.send(new Uint8Array([1]), 1000);
    await vi.runAllTimersAsync();
    expect(await done).toEqual({ status: 'success', rejectedItems: 0 });
    // random()=1 gives the ceiling: 1s, 2s, 4s, 8s (capped).
    expect(inner.attemptsAt).toEqual([0, 1000, 3000, 7000, 15000]);
  });

  it('jitter stays within [d/2, d]', () => {
    expect(backoffMillis(policy, 3, () => 0)).toBe(2000);
    expect(backoffMillis(policy, 3, () => 1)).toBe(4000);
    expect(backoffMillis(policy, 10, () => 0.5)).toBe(6000);
  });

  it('waits at least as long as Retry-After says', async () => {
    const inner = new ScriptedTransport([{ status: 'retryable', reason: 'HTTP 429', retryAfterMillis: 30_000 }]);
    const t = new RetryingTransport(inner, policy, { random: () => 0 });
    const done = t.send(new Uint8Array([1]), 1000);
    await vi.runAllTimersAsync();
    await done;
    expect(inner.attemptsAt).toEqual([0, 30_000]);
  });

  it('gives up after maxAttempts and returns the last retryable result', async () => {
    const inner = new ScriptedTransport(Array(10).fill(retryable));
    const t = new RetryingTransport(inner, { ...policy, maxAttempts: 3 }, { random: () => 0 });
    const done = t.send(new Uint8Array([1]), 1000);
    await vi.runAllTimersAsync();
    expect(await done).toEqual(retryable);
    expect(inner.attemptsAt).toHaveLength(3);
  });

  it('does not start an attempt past maxElapsedMillis', async () => {
    const inner = new ScriptedTransport(Array(10).fill(retryable));
    const t = new RetryingTransport(inner, { ...policy, maxElapsedMillis: 5000 }, { random: () => 1 });
    const done = t.send(new Uint8Array([1]), 1000);
    await vi.runAllTimersAsync();
    expect((await done).status).toBe('retryable');
    expect(inner.attemptsAt).toEqual([0, 1000, 3000]);
  });

  it('never retries a final failure', async () => {
    const inner = new ScriptedTransport([{ status: 'failure', reason: 'HTTP 400' }]);
    const t = new RetryingTransport(inner, policy);
    expect(await t.send(new Uint8Array([1]), 1000)).toEqual({ status: 'failure', reason: 'HTTP 400' });
    expect(inner.attemptsAt).toHaveLength(1);
  });

  it('stops waiting at once when aborted (shutdown)', async () => {
    const inner = new ScriptedTransport(Array(10).fill(retryable));
    const abort = new AbortController();
    const t = new RetryingTransport(inner, policy, { random: () => 1 });
    const done = t.send(new Uint8Array([1]), 1000, abort.signal);
    await vi.advanceTimersByTimeAsync(500);
    abort.abort();
    expect(await done).toEqual({ status: 'retryable', reason: 'shutdown' });
    expect(inner.attemptsAt).toEqual([0]);
  });
});

describe('what is retryable (one place)', () => {
  it.each([
    [429, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
    [400, 'failure'],
    [401, 'failure'],
    [404, 'failure'],
    [413, 'failure'],
    [500, 'failure'],
  ])('HTTP %i is %s', (status, expected) => {
    expect(classifyHttpStatus(status, undefined, 0)?.status).toBe(expected);
  });

  it('2xx is not an error', () => expect(classifyHttpStatus(200, undefined, 0)).toBeNull());

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('5', 0)).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(classifyHttpStatus(503, '3', 0)).toEqual({ status: 'retryable', reason: 'HTTP 503', retryAfterMillis: 3000 });
  });
});
