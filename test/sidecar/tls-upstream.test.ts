import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createLogger } from '../../src/logger.js';
import { SIGNALS } from '../../src/otlp/index.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { requireTool } from '../helpers/require-tool.js';
import { eventually, jsonTraces } from './helpers.js';

const openssl = requireTool('openssl');

describe.skipIf(!openssl)('https upstream with --ca-file and a bearer token', () => {
  let dir = '';
  let server: Server | null = null;
  let sidecar: RunningSidecar | null = null;

  afterEach(async () => {
    await sidecar?.close();
    server?.closeAllConnections();
    if (server) await new Promise((r) => server!.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the upstream against the given CA and sends the token', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracekit-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const received: { auth?: string; spans: number }[] = [];
    server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
        const decoded = SIGNALS.traces.requestType.toObject(SIGNALS.traces.requestType.decode(body)) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
        received.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), spans: decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length });
        res.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    sidecar = await startSidecar(
      { listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: `https://localhost:${port}`, caFile: cert, headers: { authorization: 'Bearer t0ken' } }, batchTimeoutMillis: 10 },
      { logger: createLogger({ level: 'silent' }) },
    );
    const { body } = jsonTraces(6, 77);
    const res = await request(`http://127.0.0.1:${sidecar.tcpAddress!.port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await eventually(() => sidecar!.metrics().itemsForwarded['traces'] === 6, 'forwarded over TLS');
    expect(received).toEqual([{ auth: 'Bearer t0ken', spans: 6 }]);
  });

  it('treats an upstream whose certificate it cannot verify as unavailable: retried, kept, counted only at shutdown', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracekit-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => res.writeHead(200).end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    sidecar = await startSidecar(
      {
        listen: { host: '127.0.0.1', port: 0 },
        socket: null,
        upstream: { url: `https://localhost:${port}` },
        batchTimeoutMillis: 10,
        shutdownTimeoutMillis: 100,
        retry: { maxAttempts: 2, initialBackoffMillis: 10, maxBackoffMillis: 10 },
      },
      { logger: createLogger({ level: 'silent' }) },
    );
    const base = `http://127.0.0.1:${sidecar.tcpAddress!.port}`;
    const res = await request(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(jsonTraces(2, 78).body) });
    await res.body.dump();
    // Retries run out more than once; with no spool the batch stays in memory instead of being dropped.
    await eventually(() => (sidecar!.metrics().upstreamRequests['traces/retryable'] ?? 0) >= 4, 'several rounds of retries');
    expect(sidecar.metrics().itemsDropped).toEqual({});
    expect(sidecar.metrics().queueBytes).toBeGreaterThan(0);
    const ready = await request(`${base}/readyz`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.text()).toMatch(/upstream unreachable/);
    const s = sidecar;
    sidecar = null;
    await s.close();
    // Only shutdown, with nowhere to keep it, turns it into a counted drop.
    expect(s.metrics().itemsDropped).toEqual({ 'traces/shutdown': 2 });
  });
});
