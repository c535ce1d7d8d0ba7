import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { request } from 'undici';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/logger.js';
import { lookupType } from '../../src/otlp/index.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { TestUpstream, eventually, jsonTraces } from './helpers.js';

const silent = createLogger({ level: 'silent' });

describe('sidecar with real OTLP clients', () => {
  let upstream: TestUpstream;
  let sidecar: RunningSidecar | null = null;

  afterEach(async () => {
    await sidecar?.close();
    sidecar = null;
    await upstream?.close();
  });

  async function start(extra: Record<string, unknown> = {}, upstreamExtra: Record<string, unknown> = {}) {
    upstream = await new TestUpstream().start();
    sidecar = await startSidecar(
      { listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url, ...upstreamExtra }, batchTimeoutMillis: 50, ...extra },
      { logger: silent },
    );
    return `http://127.0.0.1:${sidecar.tcpAddress!.port}`;
  }

  for (const compression of ['gzip', 'none'] as const) {
    it(`relays every span from the official OTLP/proto exporter (compression ${compression} in and out), ids intact`, async () => {
      const base = await start({}, { compression });
      const exporter = new OTLPTraceExporter({ url: `${base}/v1/traces`, compression: compression as never });
      const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 50, scheduledDelayMillis: 10 })] });
      const tracer = provider.getTracer('tracekit-test');
      const sent: string[] = [];
      for (let i = 0; i < 420; i++) {
        const span = tracer.startSpan(`op-${i}`, { attributes: { i, 'nested.list': ['a', 'b'] } });
        sent.push(span.spanContext().spanId);
        span.end();
      }
      await provider.forceFlush();
      await provider.shutdown();
      await upstream.waitForSpans(sent.length);
      expect([...upstream.acceptedSpanIds].sort()).toEqual([...sent].sort());
      // Out: protobuf compressed as configured, batched (420 spans from ≥ 9 client requests in far fewer upstream requests).
      const encoding = compression === 'gzip' ? 'gzip' : '';
      expect(upstream.requests.every((r) => r.contentEncoding === encoding && r.contentType === 'application/x-protobuf')).toBe(true);
      // The upstream has answered; the sidecar counts once it has read that answer.
      await eventually(() => sidecar!.metrics().itemsForwarded['traces'] === 420, 'forwarded counter');
      const m = sidecar!.metrics();
      expect(m.itemsReceived['traces']).toBe(420);
      expect(m.itemsAccepted['traces']).toBe(420);
      expect(m.itemsForwarded['traces']).toBe(420);
      expect(m.requestsReceived['traces/tcp']).toBeGreaterThanOrEqual(9);
      expect(upstream.requests.length).toBeLessThan(m.requestsReceived['traces/tcp']!);
    });
  }

  it('relays OTLP/JSON from a plain HTTP client, gzip and not, and answers in JSON', async () => {
    const base = await start();
    const expected: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { body, spanIds } = jsonTraces(25, i + 1);
      expected.push(...spanIds);
      const text = JSON.stringify(body);
      const gz = i % 2 === 0;
      const res = await request(`${base}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(gz ? { 'content-encoding': 'gzip' } : {}) },
        body: gz ? gzipSync(text) : text,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(await res.body.json()).toEqual({});
    }
    await upstream.waitForSpans(expected.length);
    expect([...upstream.acceptedSpanIds].sort()).toEqual(expected.sort());
  });

  it('relays metrics (OTLP/JSON) and logs (protobuf) to their own upstream paths, counting data points and records', async () => {
    const base = await start();
    const metrics = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '5' }, { asInt: '7' }] } },
                { name: 'latency', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '2', bucketCounts: ['1', '1'], explicitBounds: [0.1] }] } },
              ],
            },
          ],
        },
      ],
    };
    const m = await request(`${base}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metrics) });
    expect(m.statusCode).toBe(200);
    await m.body.dump();
    const logsType = lookupType('ExportLogsServiceRequest');
    const logs = Buffer.from(logsType.encode(logsType.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'INFO' }, { severityText: 'WARN' }, { severityText: 'ERROR' }] }] }] })).finish());
    const l = await request(`${base}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: logs });
    expect(l.statusCode).toBe(200);
    await l.body.dump();
    await eventually(() => sidecar!.metrics().itemsForwarded['metrics'] === 3 && sidecar!.metrics().itemsForwarded['logs'] === 3, 'metrics and logs forwarded');
    expect(upstream.requests.map((r) => r.signal).sort()).toEqual(['logs', 'metrics']);
    expect(upstream.requests.find((r) => r.signal === 'logs')!.items).toBe(3);
  });

  it('sends uncompressed protobuf upstream when the gzip level is 0', async () => {
    upstream = await new TestUpstream().start();
    sidecar = await startSidecar({ listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: upstream.url, gzipLevel: 0 }, batchTimeoutMillis: 10 }, { logger: silent });
    const { body, spanIds } = jsonTraces(4, 21);
    const res = await request(`http://127.0.0.1:${sidecar.tcpAddress!.port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.body.dump();
    await upstream.waitForSpans(4);
    expect(upstream.acceptedSpanIds.sort()).toEqual(spanIds.sort());
    expect(upstream.requests.map((r) => r.contentEncoding)).toEqual(['']);
  });

  it('writes OTLP/JSON lines to a file: upstream', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-file-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = `${dir}/out.jsonl`;
    upstream = await new TestUpstream().start();
    sidecar = await startSidecar({ listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: `file:${file}` }, batchTimeoutMillis: 20 }, { logger: silent });
    const { body, spanIds } = jsonTraces(3, 7);
    const res = await request(`http://127.0.0.1:${sidecar.tcpAddress!.port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await sidecar.close();
    sidecar = null;
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line.signal).toBe('traces');
    const spans = line.request.resourceSpans[0].scopeSpans[0].spans;
    expect(spans.map((s: { spanId: string }) => s.spanId)).toEqual(spanIds);
    expect(spans[0].traceId).toBe('7'.padStart(32, '0'));
    expect(spans[0].kind).toBe(2);
    expect(spans[0].startTimeUnixNano).toBe('1700000000000000000');
  });
});
