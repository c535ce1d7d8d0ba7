import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createLogger } from '../../src/logger.js';
import { joinSmallParts } from '../../src/sidecar/pipeline.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { TestUpstream, jsonTraces } from './helpers.js';

// A batch goes upstream as its requests' own buffers (large ones) and joined
// runs of small ones, not copied into one buffer: the upstream must still get
// exactly the concatenation, with a Content-Length.

const filled = (length: number, seed: number) => Buffer.alloc(length, seed);

describe('joinSmallParts', () => {
  it('keeps large requests as they are and joins the small ones between them, in order', () => {
    const payloads = [filled(20_000, 1), filled(100, 2), filled(200, 3), filled(30_000, 4), filled(100, 5)];
    const parts = joinSmallParts(payloads) as Uint8Array[];
    expect(parts.map((p) => p.length)).toEqual([20_000, 300, 30_000, 100]);
    expect(parts[0]).toBe(payloads[0]);
    expect(parts[2]).toBe(payloads[3]);
    expect(Buffer.concat(parts).equals(Buffer.concat(payloads))).toBe(true);
  });

  it('joins thousands of small requests into pieces of at most 64 KiB', () => {
    const payloads = Array.from({ length: 2000 }, (_, i) => filled(316, i % 251));
    const parts = joinSmallParts(payloads) as Uint8Array[];
    // 207 requests of 316 bytes fit in 64 KiB.
    expect(parts.length).toBe(Math.ceil(2000 / Math.floor(65_536 / 316)));
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.concat(parts).equals(Buffer.concat(payloads))).toBe(true);
  });

  it('gives one buffer when there is one part', () => {
    const one = filled(50_000, 7);
    expect(joinSmallParts([one])).toBe(one);
    const small = [filled(10, 1), filled(20, 2)];
    expect(Buffer.from(joinSmallParts(small) as Uint8Array).equals(Buffer.concat(small))).toBe(true);
  });
});

let upstream: TestUpstream | undefined;
let sidecar: RunningSidecar | undefined;
afterEach(async () => {
  await sidecar?.close();
  await upstream?.close();
  sidecar = undefined;
  upstream = undefined;
});

/** A sidecar in front of a decoding upstream, batching by `maxBatchItems` only; returns where to post and how. */
async function relay(maxBatchItems: number, compression: 'none' | 'gzip' = 'none') {
  upstream = await new TestUpstream().start();
  sidecar = await startSidecar(
    { listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url, compression }, maxBatchItems, batchTimeoutMillis: 60_000 },
    { logger: createLogger({ level: 'silent' }) },
  );
  const url = `http://127.0.0.1:${sidecar.tcpAddress!.port}/v1/traces`;
  return {
    upstream,
    /** Posts an OTLP/JSON request of `spans` spans; resolves with its span ids once it is answered 200. */
    async post(spans: number, seed: number): Promise<string[]> {
      const { body, spanIds } = jsonTraces(spans, seed);
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.body.text();
      expect(res.statusCode).toBe(200);
      return spanIds;
    },
  };
}

describe('a batch of large and small requests reaches the upstream whole', () => {
  it.each(['none', 'gzip'] as const)('upstream compression %s: one request, every span, a Content-Length', async (compression) => {
    // Three requests of 200 spans (over 8 KiB each as protobuf) and four of 2: 608 spans seal one batch.
    const sizes = [200, 2, 200, 2, 2, 200, 2];
    const { upstream, post } = await relay(608, compression);
    const expected = (await Promise.all(sizes.map((n, i) => post(n, 300 + i)))).flat();
    await upstream.waitFor(() => upstream.acceptedSpanIds.length >= 608, 'the batch upstream');
    expect(upstream.requests).toHaveLength(1);
    const [sent] = upstream.requests;
    expect(sent!.transferEncoding).toBe('');
    expect(sent!.contentEncoding).toBe(compression === 'gzip' ? 'gzip' : '');
    expect([...sent!.spanIds].sort()).toEqual([...expected].sort());
  });
});

describe('small requests are copied into the batch, large ones kept', () => {
  it('forwards many small requests between large ones byte for byte, in one request', async () => {
    // 300 requests of 1 span (a few hundred bytes: into the arena, over several 64 KiB arenas) around two of 200.
    const sizes = [...Array.from({ length: 150 }, () => 1), 200, ...Array.from({ length: 150 }, () => 1), 200];
    const total = sizes.reduce((a, b) => a + b, 0);
    const { upstream, post } = await relay(total);
    const expected: string[] = [];
    // One after another, so the upstream's order is the order sent.
    for (const [i, n] of sizes.entries()) expected.push(...(await post(n, 700 + i)));
    await upstream.waitFor(() => upstream.acceptedSpanIds.length >= total, 'the batch upstream');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.spanIds).toEqual(expected);
  });
});

describe('arenas are reused once their batch has gone', () => {
  it('forwards batch after batch of small requests intact while their arenas are reused', async () => {
    // Batches of 40 one-span requests, sent one after another: each batch's arenas go back to the pool
    // when it has been forwarded, and the next batches write into them.
    const { upstream, post } = await relay(40);
    const expected: string[] = [];
    for (let i = 0; i < 400; i++) {
      expected.push(...(await post(1, 900 + i)));
      // After each batch of 40, wait until it has arrived (and its arenas are back in the pool).
      if (i % 40 === 39) await upstream.waitFor(() => upstream.acceptedSpanIds.length === i + 1, `batch ${(i + 1) / 40}`);
    }
    expect(upstream.requests).toHaveLength(10);
    expect(upstream.acceptedSpanIds).toEqual(expected);
  });
});
