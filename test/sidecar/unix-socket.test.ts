import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { requireTool } from '../helpers/require-tool.js';
import { createLogger } from '../../src/logger.js';
import { startSidecar, type RunningSidecar } from '../../src/sidecar/index.js';
import { TestUpstream, eventually, jsonTraces } from './helpers.js';

describe('sidecar on a unix socket', () => {
  let sidecar: RunningSidecar | null = null;
  let upstream: TestUpstream | null = null;
  let dir = '';

  afterEach(async () => {
    await sidecar?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('listens with the configured mode and group, relays, serves /healthz /readyz /metrics, and removes the socket on close', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracekit-sock-'));
    const socket = path.join(dir, 'run', 'otlp.sock');
    upstream = await new TestUpstream().start();
    const gid = process.getgid!();
    sidecar = await startSidecar({ listen: null, socket: { path: socket, mode: 0o660, group: String(gid) }, upstream: { url: upstream.url }, batchTimeoutMillis: 10 }, { logger: createLogger({ level: 'silent' }) });
    expect(sidecar.tcpAddress).toBeNull();
    expect(sidecar.socketPath).toBe(socket);
    const info = await stat(socket);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o660);
    expect(info.gid).toBe(gid);

    const agent = new Agent({ connect: { socketPath: socket } });
    try {
      const { body, spanIds } = jsonTraces(8, 42);
      const res = await request('http://localhost/v1/traces', { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      await upstream.waitForSpans(8);
      expect(upstream.acceptedSpanIds.sort()).toEqual(spanIds.sort());
      await eventually(() => sidecar!.metrics().itemsForwarded['traces'] === 8, 'forwarded');

      const health = await request('http://localhost/healthz', { dispatcher: agent });
      expect(health.statusCode).toBe(200);
      await health.body.dump();
      const ready = await request('http://localhost/readyz', { dispatcher: agent });
      expect(ready.statusCode).toBe(200);
      await ready.body.dump();
      const metrics = await request('http://localhost/metrics', { dispatcher: agent });
      expect(metrics.headers['content-type']).toContain('version=0.0.4');
      const text = await metrics.body.text();
      for (const line of [
        'tracekit_sidecar_requests_received_total{signal="traces",transport="unix"} 1',
        'tracekit_sidecar_items_received_total{signal="traces"} 8',
        'tracekit_sidecar_items_accepted_total{signal="traces"} 8',
        'tracekit_sidecar_items_forwarded_total{signal="traces"} 8',
        'tracekit_sidecar_upstream_requests_total{signal="traces",outcome="success"} 1',
        'tracekit_sidecar_upstream_duration_seconds_count{signal="traces"} 1',
        'tracekit_sidecar_queue_max_bytes 67108864',
        'tracekit_sidecar_up 1',
      ]) {
        expect(text).toContain(line);
      }
      const promtool = requireTool('promtool');
      if (promtool) {
        const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(check.stdout + check.stderr).toBe('');
        expect(check.status).toBe(0);
      }
      expect(text).toMatch(/tracekit_sidecar_info\{version="\d+\.\d+\.\d+"\} 1/);
    } finally {
      await agent.close();
    }
    await sidecar.close();
    sidecar = null;
    await expect(stat(socket)).rejects.toThrow(/ENOENT/);
  });

  it('keeps one connection alive across exports whose answers are read late, as the PHP bootstrap does', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracekit-sock-'));
    const socket = path.join(dir, 'otlp.sock');
    upstream = await new TestUpstream().start();
    sidecar = await startSidecar({ listen: null, socket: { path: socket, mode: 0o660, group: null }, upstream: { url: upstream.url }, batchTimeoutMillis: 10 }, { logger: createLogger({ level: 'silent' }) });
    const conn = connect(socket);
    await once(conn, 'connect');
    let received = '';
    conn.setEncoding('latin1');
    conn.on('data', (chunk: string) => (received += chunk));
    const sent: string[] = [];
    try {
      // Three exports written back to back on one connection before any answer is read (the
      // bootstrap reads and drops the previous answer only when it starts the next export).
      for (let i = 0; i < 3; i++) {
        const { body, spanIds } = jsonTraces(2, 700 + i);
        sent.push(...spanIds);
        const text = JSON.stringify(body);
        conn.write(`POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      }
      await eventually(() => (received.match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length === 3, 'three answers on the same connection');
      expect(received).not.toMatch(/connection: close/i);
      expect(conn.destroyed).toBe(false);
      // Still usable afterwards: a fourth export on the same connection.
      const { body, spanIds } = jsonTraces(1, 710);
      sent.push(...spanIds);
      const text = JSON.stringify(body);
      conn.write(`POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      await eventually(() => (received.match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length === 4, 'a fourth answer on the same connection');
      await upstream.waitForSpans(sent.length);
      expect(upstream.acceptedSpanIds.sort()).toEqual(sent.sort());
      expect(sidecar.metrics().requestsReceived['traces/unix']).toBe(4);
    } finally {
      conn.destroy();
    }
  });
});
