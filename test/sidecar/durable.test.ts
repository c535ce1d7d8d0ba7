import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createLogger } from '../../src/logger.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { TestUpstream, eventually, jsonTraces } from './helpers.js';

describe('durable acceptance', () => {
  let sidecar: RunningSidecar | null = null;
  let upstream: TestUpstream | null = null;
  let dir = '';

  afterEach(async () => {
    await sidecar?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('acknowledges only written records, relays all of them under concurrency and size-sealed batches, and empties the spool', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracekit-durable-'));
    upstream = await new TestUpstream().start();
    sidecar = await startSidecar(
      { listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url }, spoolDir: dir, durable: true, maxBatchItems: 25, batchTimeoutMillis: 20 },
      { logger: createLogger({ level: 'silent' }) },
    );
    const port = sidecar.tcpAddress!.port;
    const expected: string[] = [];
    const post = async (i: number) => {
      const { body, spanIds } = jsonTraces(10, 3000 + i);
      expected.push(...spanIds);
      const res = await request(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.body.dump();
      return res.statusCode;
    };
    // One at a time (each record synced before the next arrives, so a size-sealed batch is sent
    // while its file has nothing pending), then many at once (records share a group commit).
    const results: number[] = [];
    for (let i = 0; i < 12; i++) results.push(await post(i));
    results.push(...(await Promise.all(Array.from({ length: 60 }, (_, i) => post(100 + i)))));
    expect(results).toEqual(Array(72).fill(200));
    await upstream.waitForSpans(expected.length);
    expect(new Set(upstream.acceptedSpanIds)).toEqual(new Set(expected));
    await eventually(async () => sidecar!.metrics().spoolBytes === 0 && (await readdir(dir)).length === 0, 'spool emptied after delivery');
  });
});
