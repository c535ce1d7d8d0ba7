import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { requireTool } from '../helpers/require-tool.js';
import { TestUpstream, jsonTraces } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/tracekit.js');

/** The environment without OTEL_* / TRACEKIT_* settings that could leak in from the machine. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('TRACEKIT_')) env[k] = v;
  return { ...env, ...extra };
}

interface SidecarProcess {
  child: ChildProcess;
  port: number;
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node bin/tracekit.js sidecar …` and resolves on its "listening" log line. */
function spawnSidecar(args: string[], env: Record<string, string> = {}): Promise<SidecarProcess> {
  const child = spawn(process.execPath, [bin, 'sidecar', ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.msg === 'listening') resolve({ child, port: Number(String(parsed.tcp).split(':').pop()), lines, exited });
    });
    void exited.then(({ code }) => reject(new Error(`sidecar exited (${code}) before listening: ${stderr}`)));
  });
}

const running = new Set<ChildProcess>();

async function postJson(port: number, n: number, seed: number): Promise<{ status: number; spanIds: string[] }> {
  const { body, spanIds } = jsonTraces(n, seed);
  const res = await request(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.body.dump();
  return { status: res.statusCode, spanIds };
}

describe('tracekit sidecar as a process', () => {
  const dirs: string[] = [];
  let upstream: TestUpstream | null = null;

  beforeAll(() => {
    if (!existsSync(path.join(root, 'dist/src/sidecar/index.js'))) {
      // Tests normally run after `npm run build` (npm test does it); build if that was skipped.
      spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
    }
  });

  afterEach(async () => {
    for (const child of running) child.kill('SIGKILL');
    await upstream?.close();
    upstream = null;
  });

  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function tempDir(): Promise<string> {
    const d = await mkdtemp(path.join(tmpdir(), 'tracekit-proc-'));
    dirs.push(d);
    return d;
  }

  async function freePort(): Promise<number> {
    const probe = await new TestUpstream().start();
    const port = probe.port;
    await probe.close();
    return port;
  }

  it('durable mode: every acknowledged span arrives after SIGKILL and a restart', async () => {
    const spool = await tempDir();
    const port = await freePort();
    const args = ['--listen', '127.0.0.1:0', '--no-socket', '--upstream', `http://127.0.0.1:${port}`, '--spool-dir', spool, '--durable', '--log-level', 'warn'];
    const first = await spawnSidecar(args);
    const acked: string[] = [];
    let seed = 1;
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let i = 0; i < 15; i++) {
          const r = await postJson(first.port, 10, seed++);
          if (r.status === 200) acked.push(...r.spanIds);
        }
      }),
    );
    expect(acked.length).toBe(450);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect((await readdir(spool)).length).toBeGreaterThan(0);

    upstream = await new TestUpstream().start(port);
    const second = await spawnSidecar(args);
    await upstream.waitForSpans(acked.length);
    expect(new Set(upstream.acceptedSpanIds)).toEqual(new Set(acked));
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('SIGTERM drains within --shutdown-timeout, leaves the rest in the spool, and a restart sends it', async () => {
    const spool = await tempDir();
    upstream = await new TestUpstream().start();
    upstream.respond = () => ({ status: 503 });
    const args = ['--listen', '127.0.0.1:0', '--no-socket', '--upstream', upstream.url, '--spool-dir', spool, '--shutdown-timeout', '300ms', '--log-level', 'warn'];
    const first = await spawnSidecar(args);
    const acked: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await postJson(first.port, 10, 100 + i);
      expect(r.status).toBe(200);
      acked.push(...r.spanIds);
    }
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.lines.map((l) => l.msg)).toContain('shutdown timeout reached; the rest stays in the spool');
    expect((await readdir(spool)).filter((f) => f.endsWith('.otlp')).length).toBeGreaterThan(0);

    upstream.respond = () => ({ status: 200 });
    const second = await spawnSidecar(args);
    await upstream.waitForSpans(acked.length);
    expect(new Set(upstream.acceptedSpanIds)).toEqual(new Set(acked));
    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
  });

  it('sends the upstream token from TRACEKIT_UPSTREAM_TOKEN and never logs it', async () => {
    upstream = await new TestUpstream().start();
    const token = 'tk-secret-0123456789';
    const p = await spawnSidecar(['--listen', '127.0.0.1:0', '--no-socket', '--upstream', upstream.url, '--log-level', 'debug'], { TRACEKIT_UPSTREAM_TOKEN: token });
    const r = await postJson(p.port, 3, 900);
    expect(r.status).toBe(200);
    await upstream.waitForSpans(3);
    expect(upstream.requests[0]!.authorization).toBe(`Bearer ${token}`);
    p.child.kill('SIGTERM');
    await p.exited;
    expect(JSON.stringify(p.lines)).not.toContain(token);
  });

  function runCli(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, [bin, 'sidecar', ...args], { env: cleanEnv(env), encoding: 'utf8', timeout: 30_000 });
  }

  it('refuses a non-loopback --listen without --allow-remote (exit 2, one clear line)', () => {
    const r = runCli(['--listen', '0.0.0.0:4318', '--no-socket']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected a loopback address .* found '0\.0\.0\.0'.*--allow-remote.*\[TRACEKIT_E_SIDECAR_REMOTE_LISTEN\]/);
    expect(r.stdout).toBe('');
  });

  it('rejects bad flags and config files with exit 2 naming what was expected', async () => {
    expect(runCli(['--max-queue-bytes', 'lots', '--no-socket']).stderr).toMatch(/--max-queue-bytes: expected a size such as .* found 'lots'/);
    expect(runCli(['--durable', '--no-socket']).stderr).toMatch(/--durable: expected --spool-dir/);
    expect(runCli(['--signals', 'traces,profiles', '--no-socket']).stderr).toMatch(/--signals: expected a comma-separated list of traces, metrics, logs, found 'traces,profiles'/);
    const compression = runCli(['--upstream-compression', 'brotli', '--no-socket']);
    expect(compression.status).toBe(2);
    expect(compression.stderr).toMatch(/--upstream-compression: expected gzip or none, found 'brotli'/);
    const dir = await tempDir();
    await writeFile(path.join(dir, 'c.yaml'), 'listen: 127.0.0.1:4318\nmaxQueueBytes: 10MiB\nbogus: 1\n');
    const r = runCli(['--config', path.join(dir, 'c.yaml'), '--no-socket']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/c\.yaml: .*bogus.*\[TRACEKIT_E_SIDECAR_BAD_CONFIG\]/);
  });

  it('explains a socket path it cannot create (exit 2, no stack trace)', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'file'), 'not a directory');
    const r = runCli(['--listen', '127.0.0.1:0', '--socket', path.join(dir, 'file', 'otlp.sock')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tracekit: --socket: expected to create .*otlp\.sock .*found (EEXIST|ENOTDIR).*\[TRACEKIT_E_SIDECAR_LISTEN_FAILED\]\n$/);
  });

  it('has --help with examples', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('$ tracekit sidecar --listen 127.0.0.1:4318');
    expect(r.stdout).toContain('--print-systemd');
  });

  it('--print-systemd writes a hardened, deterministic unit that systemd-analyze accepts', async () => {
    const a = runCli(['--print-systemd', '--upstream', 'https://collector.example:4318']);
    const b = runCli(['--print-systemd', '--upstream', 'https://collector.example:4318']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^# Generated by tracekit \S+ \(tracekit sidecar --print-systemd\)\. Do not edit by hand/);
    for (const line of ['User=tracekit', 'RuntimeDirectory=tracekit', 'StateDirectory=tracekit', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'Restart=on-failure']) {
      expect(a.stdout).toContain(line);
    }
    expect(a.stdout).toContain('--upstream https://collector.example:4318');
    const analyze = requireTool('systemd-analyze');
    if (!analyze) return;
    const dir = await tempDir();
    const unit = path.join(dir, 'tracekit-sidecar.service');
    await writeFile(unit, a.stdout);
    const v = spawnSync(analyze, ['verify', unit], { encoding: 'utf8' });
    // Only complaints about this unit's own directives matter (the host may lack the user or the binary path).
    const own = v.stderr.split('\n').filter((l) => l.includes('tracekit-sidecar.service') && /Unknown|Invalid|Failed to parse|bad/i.test(l));
    expect(own).toEqual([]);
  });
});
