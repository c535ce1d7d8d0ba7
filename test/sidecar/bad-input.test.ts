import { once } from 'node:events';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createLogger } from '../../src/logger.js';
import { lookupType } from '../../src/otlp/index.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { TestUpstream, eventually, jsonTraces } from './helpers.js';

const silent = createLogger({ level: 'silent' });
const requestType = lookupType('ExportTraceServiceRequest');
const statusType = lookupType('RpcStatus');

/** Protobuf framing by hand, to build bodies no well-behaved encoder would. */
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const lenField = (field: number, payload: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);

function requestWithAttribute(anyValue: Buffer, idLength = 8): Buffer {
  const kv = Buffer.concat([lenField(1, Buffer.from('deep')), lenField(2, anyValue)]);
  const span = Buffer.concat([lenField(1, Buffer.alloc(16, 1)), lenField(2, Buffer.alloc(idLength, 2)), lenField(5, Buffer.from('s')), lenField(9, kv)]);
  return lenField(1, lenField(2, lenField(2, span)));
}

function nestedAnyValue(levels: number): Buffer {
  let any = lenField(1, Buffer.from('leaf'));
  for (let i = 0; i < levels; i++) any = lenField(5, lenField(1, any));
  return any;
}

function validBody(seed: number): Buffer {
  const { body } = jsonTraces(5, seed);
  return Buffer.from(requestType.encode(requestType.fromObject(JSON.parse(JSON.stringify(body), (k, v) => (k === 'traceId' || k === 'spanId' ? Buffer.from(v, 'hex') : v)))).finish());
}

describe('sidecar refuses bad bodies with the right status, and other clients are unaffected', () => {
  let upstream: TestUpstream;
  let sidecar: RunningSidecar;
  let base: string;

  beforeAll(async () => {
    upstream = await new TestUpstream().start();
    sidecar = await startSidecar(
      {
        listen: { host: '127.0.0.1', port: 0 },
        socket: null,
        upstream: { url: upstream.url },
        batchTimeoutMillis: 20,
        maxRequestBytes: 256 * 1024,
        maxDecompressedBytes: 1024 * 1024,
        signals: ['traces', 'metrics'],
      },
      { logger: silent },
    );
    base = `http://127.0.0.1:${sidecar.tcpAddress!.port}`;
  });

  afterAll(async () => {
    await sidecar?.close();
    await upstream?.close();
  });

  async function send(body: Buffer | string, headers: Record<string, string>, path = '/v1/traces', method: 'POST' | 'GET' | 'PUT' = 'POST') {
    const res = await request(`${base}${path}`, { method, headers, ...(method === 'GET' ? {} : { body }) });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, bytes };
  }
  const proto = { 'content-type': 'application/x-protobuf' };

  const cases: [string, () => Promise<{ status: number; bytes: Buffer; headers: Record<string, unknown> }>, number, RegExp | null][] = [
    ['random bytes', () => send(Buffer.from('this is not protobuf at all \xff\xfe'), proto), 400, /wire type|truncated|length/],
    ['a truncated body', () => send(validBody(1).subarray(0, -7), proto), 400, /truncated|runs past/],
    ['a wrong content type', () => send(validBody(2), { 'content-type': 'text/plain' }), 415, /application\/x-protobuf or application\/json/],
    ['no content type', () => send(validBody(2), {}), 415, /found '\(none\)'/],
    ['an unknown content encoding', () => send(validBody(2), { ...proto, 'content-encoding': 'br' }), 415, /Content-Encoding/],
    ['a body over the size limit', () => send(Buffer.alloc(300 * 1024, 0x0a), proto), 413, /over the limit/],
    ['a gzip bomb', () => send(gzipSync(Buffer.alloc(64 * 1024 * 1024)), { ...proto, 'content-encoding': 'gzip' }), 413, /inflates to more than/],
    ['broken gzip', () => send(Buffer.from('1f8b0800000000000003ffff', 'hex'), { ...proto, 'content-encoding': 'gzip' }), 400, /gzip/],
    ['deeply nested attribute values (protobuf)', () => send(requestWithAttribute(nestedAnyValue(5000)), proto), 400, /nesting deeper than 64/],
    [
      'deeply nested attribute values (JSON)',
      () => {
        let v = '{"stringValue":"leaf"}';
        for (let i = 0; i < 5000; i++) v = `{"arrayValue":{"values":[${v}]}}`;
        const doc = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'1'.repeat(32)}","spanId":"${'2'.repeat(16)}","name":"s","attributes":[{"key":"k","value":${v}}]}]}]}]}`;
        return send(doc, { 'content-type': 'application/json' });
      },
      400,
      /nesting deeper than 64/,
    ],
    ['a span id of the wrong length', () => send(requestWithAttribute(lenField(1, Buffer.from('x')), 5), proto), 400, /Span\.spanId must be 8 bytes, found 5/],
    ['a string that is not UTF-8', () => send(requestWithAttribute(lenField(1, Buffer.from([0xc3, 0x28]))), proto), 400, /UTF-8/],
    ['JSON that is not JSON', () => send('{"resourceSpans": [', { 'content-type': 'application/json' }), 400, /not JSON/],
    ['JSON with a hex id that is not hex', () => send(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz'.repeat(16), spanId: '1'.repeat(16) }] }] }] }), { 'content-type': 'application/json' }), 400, /hex/],
    ['JSON of the wrong shape', () => send(JSON.stringify({ resourceSpans: { not: 'an array' } }), { 'content-type': 'application/json' }), 400, /must be an array/],
    ['GET on an export path', () => send('', {}, '/v1/traces', 'GET'), 405, null],
    ['an unknown path', () => send(validBody(3), proto, '/v1/profiles'), 404, null],
  ];

  it.each(cases)('answers %s with the right status while a well-behaved client keeps going', async (_name, bad, status, message) => {
    // A good client runs concurrently with the bad one and must see nothing but 200s.
    const goodIds: string[] = [];
    const good = (async () => {
      for (let i = 0; i < 10; i++) {
        const { body, spanIds } = jsonTraces(4, 10_000 + goodIds.length);
        const r = await send(JSON.stringify(body), { 'content-type': 'application/json' });
        expect(r.status).toBe(200);
        goodIds.push(...spanIds);
      }
    })();
    const [result] = await Promise.all([bad(), good]);
    expect(result.status).toBe(status);
    if (message) {
      const isJson = String(result.headers['content-type']).includes('json');
      const decoded = isJson ? JSON.parse(result.bytes.toString()) : statusType.toObject(statusType.decode(result.bytes));
      expect(decoded.message).toMatch(message);
    }
    await upstream.waitFor(() => goodIds.every((id) => upstream.acceptedSpanIds.includes(id)), 'good client spans');
  });

  it('counts every refusal by reason in /metrics', async () => {
    const text = await (await request(`${base}/metrics`)).body.text();
    expect(text).toMatch(/tracekit_sidecar_requests_rejected_total\{signal="traces",reason="undecodable"\} (\d+)/);
    const count = (reason: string) => Number(new RegExp(`requests_rejected_total\\{signal="traces",reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('undecodable')).toBe(cases.filter((c) => c[2] === 400).length);
    expect(count('too_large')).toBe(2);
    expect(count('bad_content_type')).toBe(3);
    expect(count('method_not_allowed')).toBe(1);
  });

  it('rejects only the spans without ids, in a 200 partial success, and forwards the rest', async () => {
    const withIds = (n: number) => ({ traceId: Buffer.alloc(16, 9), spanId: Buffer.from(n.toString(16).padStart(16, '0'), 'hex'), name: `ok-${n}` });
    const body = Buffer.from(
      requestType.encode(requestType.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [withIds(0xa1), { traceId: Buffer.alloc(16, 9), name: 'no-span-id' }, withIds(0xa2), { name: 'no-ids' }] }] }] })).finish(),
    );
    const before = sidecar.metrics().itemsDropped['traces/partial_success'] ?? 0;
    const r = await send(body, proto);
    expect(r.status).toBe(200);
    const response = lookupType('ExportTraceServiceResponse');
    const decoded = response.toObject(response.decode(r.bytes), { longs: Number });
    expect(decoded.partialSuccess.rejectedSpans).toBe(2);
    expect(decoded.partialSuccess.errorMessage).toMatch(/2 of 4 spans have no trace id or span id/);
    await upstream.waitFor(() => upstream.acceptedSpanIds.includes('00000000000000a1') && upstream.acceptedSpanIds.includes('00000000000000a2'), 'the two valid spans');
    expect(sidecar.metrics().itemsDropped['traces/partial_success']).toBe(before + 2);
  });

  it('answers JSON partial success in JSON, with the count as a string', async () => {
    const doc = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'fine' }, { name: 'no ids' }] }] }] };
    const r = await send(JSON.stringify(doc), { 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.bytes.toString())).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: '1 of 2 spans have no trace id or span id; they were rejected, the rest accepted' } });
  });

  it('refuses JSON whose string would become invalid UTF-8 (a lone surrogate)', async () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'ab'.repeat(16)}","spanId":"${'cd'.repeat(8)}","name":"bad \\ud800 name"}]}]}]}`;
    const r = await send(text, { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.bytes.toString()).message).toMatch(/Span\.name is not valid UTF-8/);
  });

  it('drops a disabled signal at the door with a 200 partial success, and counts it', async () => {
    const logs = lookupType('ExportLogsServiceRequest');
    const body = Buffer.from(logs.encode(logs.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'INFO', body: { stringValue: 'secret prompt' } }, { severityText: 'WARN' }] }] }] })).finish());
    const r = await send(body, proto, '/v1/logs');
    expect(r.status).toBe(200);
    const response = lookupType('ExportLogsServiceResponse');
    const decoded = response.toObject(response.decode(r.bytes), { longs: Number });
    expect(decoded.partialSuccess.rejectedLogRecords).toBe(2);
    expect(decoded.partialSuccess.errorMessage).toMatch(/logs is disabled/);
    await eventually(() => sidecar.metrics().itemsDropped['logs/signal_disabled'] === 2, 'dropped counter');
    expect(upstream.requests.filter((q) => q.signal === 'logs')).toHaveLength(0);
  });

  it('counts an export whose client hung up mid-body as received and refused (undecodable), and accepts nothing of it', async () => {
    const before = sidecar.metrics();
    const undecodable = (m: typeof before) => m.requestsRejected['traces/undecodable'] ?? 0;
    const received = (m: typeof before) => Object.entries(m.requestsReceived).filter(([k]) => k.startsWith('traces/')).reduce((sum, [, v]) => sum + v, 0);
    const body = validBody(7);
    const socket = connect(sidecar.tcpAddress!.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST /v1/traces HTTP/1.1\r\nHost: sidecar\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, body.length >> 1), () => socket.destroy());
    await once(socket, 'close');
    await eventually(() => undecodable(sidecar.metrics()) === undecodable(before) + 1, 'the abandoned request counted as undecodable');
    const after = sidecar.metrics();
    expect(received(after)).toBe(received(before) + 1);
    expect(after.itemsAccepted.traces ?? 0).toBe(before.itemsAccepted.traces ?? 0);
  });
});
