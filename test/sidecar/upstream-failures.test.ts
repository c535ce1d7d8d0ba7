import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createLogger } from '../../src/logger.js';
import { lookupType } from '../../src/otlp/index.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { TestUpstream, eventually, jsonTraces } from './helpers.js';

const silent = createLogger({ level: 'silent' });

describe('sidecar upstream failures', () => {
  let upstream: TestUpstream | null = null;
  let sidecar: RunningSidecar | null = null;
  const dirs: string[] = [];

  afterEach(async () => {
    await sidecar?.close();
    sidecar = null;
    await upstream?.close();
    upstream = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function post(n: number, seed: number): Promise<{ status: number; spanIds: string[]; retryAfter?: string }> {
    const { body, spanIds } = jsonTraces(n, seed);
    const res = await request(`http://127.0.0.1:${sidecar!.tcpAddress!.port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.body.dump();
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, spanIds, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) };
  }

  it('retries 503 (honouring Retry-After) and then delivers once', async () => {
    upstream = await new TestUpstream().start();
    upstream.respond = (i) => (i < 2 ? { status: 503, headers: { 'retry-after': '7' } } : { status: 200 });
    const delays: number[] = [];
    // Injected sleep: the test records the backoff instead of waiting it out.
    sidecar = await startSidecar(
      { listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url }, batchTimeoutMillis: 10 },
      { logger: silent, retryHooks: { sleep: async (ms) => void delays.push(ms) } },
    );
    const { status, spanIds } = await post(10, 1);
    expect(status).toBe(200);
    await upstream.waitForSpans(10);
    await eventually(() => sidecar!.metrics().itemsForwarded['traces'] === 10, 'forwarded');
    expect(upstream.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(upstream.acceptedSpanIds.sort()).toEqual(spanIds.sort());
    expect(delays).toHaveLength(2);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(7000);
    const m = sidecar.metrics();
    expect(m.upstreamRetries['traces']).toBe(2);
    expect(m.upstreamRequests['traces/retryable']).toBe(2);
    expect(m.upstreamRequests['traces/success']).toBe(1);
  });

  it('drops a batch the upstream answers 400 to, and counts it', async () => {
    upstream = await new TestUpstream().start();
    upstream.respond = () => ({ status: 400 });
    sidecar = await startSidecar({ listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url }, batchTimeoutMillis: 10 }, { logger: silent });
    expect((await post(12, 2)).status).toBe(200);
    await eventually(() => sidecar!.metrics().itemsDropped['traces/upstream_rejected'] === 12, 'dropped counter');
    expect(upstream.requests).toHaveLength(1);
    expect(sidecar.metrics().itemsForwarded['traces'] ?? 0).toBe(0);
    const text = await (await request(`http://127.0.0.1:${sidecar.tcpAddress!.port}/metrics`)).body.text();
    expect(text).toContain('tracekit_sidecar_items_dropped_total{signal="traces",reason="upstream_rejected"} 12');
    expect(text).toContain('tracekit_sidecar_upstream_requests_total{signal="traces",outcome="failure"} 1');
  });

  it('counts items the upstream rejects in a partial success', async () => {
    upstream = await new TestUpstream().start();
    const response = lookupType('ExportTraceServiceResponse');
    upstream.respond = () => ({ status: 200, body: Buffer.from(response.encode(response.fromObject({ partialSuccess: { rejectedSpans: 3, errorMessage: 'too old' } })).finish()) });
    sidecar = await startSidecar({ listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url }, batchTimeoutMillis: 10 }, { logger: silent });
    expect((await post(10, 3)).status).toBe(200);
    await eventually(() => sidecar!.metrics().itemsForwarded['traces'] === 7, 'forwarded counter');
    expect(sidecar.metrics().itemsDropped['traces/partial_success']).toBe(3);
  });

  it('loses nothing when the upstream is down for a while under steady load, spilling to the spool', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-spool-'));
    dirs.push(dir);
    // Learn a free port, then leave it closed: the upstream is "down" (connection refused).
    const probe = await new TestUpstream().start();
    const port = probe.port;
    await probe.close();
    sidecar = await startSidecar(
      {
        listen: { host: '127.0.0.1', port: 0 },
        socket: null,
        upstream: { url: `http://127.0.0.1:${port}` },
        spoolDir: dir,
        maxQueueBytes: 64 * 1024,
        batchTimeoutMillis: 20,
        retry: { initialBackoffMillis: 20, maxBackoffMillis: 100, maxAttempts: 3, maxElapsedMillis: 1000 },
      },
      { logger: silent },
    );
    const acked: string[] = [];
    let seed = 100;
    const client = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const r = await post(20, seed++);
        expect(r.status).toBe(200);
        acked.push(...r.spanIds);
      }
    };
    // Phase 1: upstream down; enough data to overflow memory into the spool.
    await Promise.all([client(60), client(60)]);
    await eventually(() => sidecar!.metrics().spoolBytes > 0, 'spill to spool');
    expect(sidecar.metrics().upstreamRequests['traces/retryable']).toBeGreaterThan(0);
    // Phase 2: the upstream comes back while the load continues.
    upstream = await new TestUpstream().start(port);
    await Promise.all([client(40), client(40)]);
    await upstream.waitForSpans(acked.length, 60_000);
    expect(new Set(upstream.acceptedSpanIds)).toEqual(new Set(acked));
    await eventually(() => sidecar!.metrics().spoolBytes === 0 && sidecar!.metrics().queueBytes === 0, 'spool and queue empty');
    expect(sidecar.metrics().itemsDropped).toEqual({});
  });

  it('takes requests into the spool while every batch in memory is stuck in flight on a hung upstream', async () => {
    // An upstream that accepts connections and never answers: the batches being sent hold their
    // memory until the upstream times out (four batches of a quarter of the memory bound each),
    // so spilling ready batches cannot make room.
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    hung.listen(0, '127.0.0.1');
    await once(hung, 'listening');
    const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-spool-'));
    dirs.push(dir);
    try {
      sidecar = await startSidecar(
        {
          listen: { host: '127.0.0.1', port: 0 },
          socket: null,
          upstream: { url: `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`, timeoutMillis: 60_000, concurrency: 4 },
          spoolDir: dir,
          maxQueueBytes: 16 * 1024,
          batchTimeoutMillis: 20,
          shutdownTimeoutMillis: 100,
        },
        { logger: silent },
      );
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await post(20, 5000 + i)).status);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(sidecar.metrics().spoolBytes).toBeGreaterThan(0);
      expect(sidecar.metrics().queueBytes).toBeLessThanOrEqual(16 * 1024);
    } finally {
      await sidecar?.close();
      sidecar = null;
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  });

  it('loses nothing without a spool either: batches whose retries ran out stay in memory until the upstream is back', async () => {
    const probe = await new TestUpstream().start();
    const port = probe.port;
    await probe.close();
    sidecar = await startSidecar(
      {
        listen: { host: '127.0.0.1', port: 0 },
        socket: null,
        upstream: { url: `http://127.0.0.1:${port}` },
        batchTimeoutMillis: 10,
        maxBatchItems: 50,
        retry: { initialBackoffMillis: 10, maxBackoffMillis: 20, maxAttempts: 2, maxElapsedMillis: 1000 },
      },
      { logger: silent },
    );
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await post(10, 700 + i);
      expect(r.status).toBe(200);
      acked.push(...r.spanIds);
    }
    // Several rounds of exhausted retries while the upstream is down.
    await eventually(() => (sidecar!.metrics().upstreamRequests['traces/retryable'] ?? 0) >= 8, 'retries running out repeatedly');
    expect(sidecar.metrics().itemsDropped).toEqual({});
    upstream = await new TestUpstream().start(port);
    await upstream.waitForSpans(acked.length);
    expect(new Set(upstream.acceptedSpanIds)).toEqual(new Set(acked));
    await eventually(() => sidecar!.metrics().queueBytes === 0, 'memory queue empty');
  });

  it('answers 503 with Retry-After when memory is full and there is no spool, and counts it', async () => {
    const probe = await new TestUpstream().start();
    const port = probe.port;
    await probe.close();
    sidecar = await startSidecar(
      {
        listen: { host: '127.0.0.1', port: 0 },
        socket: null,
        upstream: { url: `http://127.0.0.1:${port}` },
        maxQueueBytes: 16 * 1024,
        batchTimeoutMillis: 20,
        shutdownTimeoutMillis: 200,
        retry: { initialBackoffMillis: 60_000, maxBackoffMillis: 60_000, maxAttempts: 2, maxElapsedMillis: 600_000 },
      },
      { logger: silent },
    );
    let full: { status: number; retryAfter?: string } | null = null;
    for (let i = 0; i < 200 && !full; i++) {
      const r = await post(20, 500 + i);
      if (r.status !== 200) full = r;
    }
    expect(full?.status).toBe(503);
    expect(full?.retryAfter).toMatch(/^\d+$/);
    expect(sidecar.metrics().requestsRejected['traces/queue_full']).toBe(1);
    expect(sidecar.metrics().queueBytes).toBeLessThanOrEqual(16 * 1024);
    const ready = await request(`http://127.0.0.1:${sidecar.tcpAddress!.port}/readyz`);
    expect(ready.statusCode).toBe(503);
    await ready.body.dump();
    // Shutdown with the upstream still down and no spool: what memory held is counted, not silently lost.
    const accepted = sidecar.metrics().itemsAccepted['traces']!;
    const s = sidecar;
    sidecar = null;
    await s.close();
    const m = s.metrics();
    expect((m.itemsDropped['traces/shutdown'] ?? 0) + (m.itemsDropped['traces/retry_exhausted'] ?? 0) + (m.itemsForwarded['traces'] ?? 0)).toBe(accepted);
  });
});
