import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPhpInit, writePhpInit } from '../../src/php/init.js';
import { findNginx, freePort, startNginx, type Nginx } from '../helpers/nginx.js';
import { findPhpFpm, startPhpFpm, type PhpFpm } from '../helpers/php-fpm.js';
import { repoRoot } from './php-cli.js';
import { startSidecarProcess, waitFor, type SidecarProcess } from './sidecar-process.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'php-faults');
const asRoot = process.getuid?.() === 0;
const ready = findPhpFpm() !== null && findNginx() !== null;

interface Scenario {
  name: string;
  file: string;
  method?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The hostile pages: each is compared byte for byte with and without the prepend. */
const SCENARIOS: Scenario[] = [
  { name: 'a plain page', file: 'plain.php' },
  { name: 'exit() in the middle of the page', file: 'exit-midway.php' },
  { name: 'exit(3) after setting status 503 and a header', file: 'exit-with-status.php' },
  { name: 'an uncaught exception', file: 'uncaught-exception.php' },
  { name: 'a fatal error (undefined function)', file: 'fatal-error.php' },
  { name: 'memory exhausted', file: 'memory-exhausted.php' },
  { name: 'an output buffer with a callback left open', file: 'ob-callback.php' },
  { name: 'ob_gzhandler with a nested buffer', file: 'ob-gzip.php', headers: { 'accept-encoding': 'gzip' } },
  { name: 'its own error, exception and shutdown handlers', file: 'own-handlers.php' },
  { name: 'a header after output was sent', file: 'headers-sent.php' },
  { name: 'error_get_last() read by the page and its shutdown function', file: 'error-get-last.php' },
  { name: 'a destructor that prints and sets a header', file: 'destructor-output.php' },
  { name: 'shutdown functions registered three levels deep', file: 'shutdown-chain.php' },
  { name: 'the page calling fastcgi_finish_request() itself', file: 'app-finishes-request.php' },
  { name: 'global state as the page sees it', file: 'global-state.php' },
  { name: 'global names like ours and a loud autoloader', file: 'names-and-autoload.php' },
  { name: 'two megabytes of output', file: 'large-output.php' },
  { name: 'a POST body', file: 'post-body.php', method: 'POST', body: 'a=1&b=two', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'a 404 JSON answer', file: 'status-404-json.php' },
];

interface RawResponse {
  status: number;
  headers: string[];
  body: Buffer;
}

/** Raw HTTP (no decompression), headers in order as sent, Date left out. */
async function rawRequest(port: number, scenario: Scenario, query = scenario.query ?? ''): Promise<RawResponse> {
  const req = http.request({ host: '127.0.0.1', port, method: scenario.method ?? 'GET', path: `/${scenario.file}${query ? `?${query}` : ''}`, headers: { connection: 'close', ...scenario.headers }, agent: false });
  if (scenario.body !== undefined) req.write(scenario.body);
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const headers: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    if (res.rawHeaders[i]!.toLowerCase() !== 'date') headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  }
  return { status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) };
}

/** A sidecar stand-in that accepts connections, reads, and never answers. */
class SilentListener {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  received = '';
  closed = 0;
  constructor() {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('data', (c) => (this.received += c.toString('utf8')));
      socket.on('close', () => {
        this.closed++;
        this.sockets.delete(socket);
      });
      socket.on('error', () => {});
    });
  }
  async listen(socketPath: string): Promise<void> {
    this.server.listen(socketPath);
    await once(this.server, 'listening');
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Server {
  fpm: PhpFpm;
  nginx: Nginx;
}

describe.skipIf(!ready)('fault matrix: pages through nginx + php-fpm are byte-identical with and without the prepend', () => {
  let dir: string;
  let sidecar: SidecarProcess | undefined;
  const hung = new SilentListener();
  const hungLong = new SilentListener();
  const locked = new SilentListener();
  const servers = new Map<string, Server>();

  const PRODUCTION = {}; // the distribution's php.ini: display_errors Off, output_buffering 4096
  const DEVELOPMENT = { display_errors: '1', output_buffering: '0', error_reporting: '-1', html_errors: '0' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tk-php-faults-'));
    sidecar = await startSidecarProcess(dir);
    await hung.listen(path.join(dir, 'hung.sock'));
    await hungLong.listen(path.join(dir, 'hung-long.sock'));
    // A socket the workers may not write to: as root, the workers run as nobody and the socket
    // is root's 0600; otherwise the socket is mode 000 (root would ignore both).
    await locked.listen(path.join(dir, 'locked.sock'));
    chmodSync(path.join(dir, 'locked.sock'), asRoot ? 0o600 : 0o000);
    chmodSync(dir, 0o755);
    await writePhpInit(planPhpInit({ outDir: path.join(dir, 'bootstrap'), cwd: dir, serviceName: 'faults', endpoint: `unix://${sidecar.socket}` }));
    chmodSync(path.join(dir, 'bootstrap'), 0o755);
    const prepend = path.join(dir, 'bootstrap', 'tracekit-prepend.php');
    const refusedPort = await freePort();
    const variants: Record<string, { ini: Record<string, string>; prepend: string | null; env: Record<string, string>; runAs?: { user: string; group: string } }> = {
      'production/baseline': { ini: PRODUCTION, prepend: null, env: {} },
      'production/sidecar up': { ini: PRODUCTION, prepend, env: {} },
      'production/socket missing': { ini: PRODUCTION, prepend, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${dir}/no-such.sock` } },
      'production/connection refused': { ini: PRODUCTION, prepend, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${refusedPort}/v1/traces` } },
      'production/sidecar hung': { ini: PRODUCTION, prepend, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${dir}/hung.sock` } },
      'production/socket not writable': { ini: PRODUCTION, prepend, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${dir}/locked.sock` }, ...(asRoot ? { runAs: { user: 'nobody', group: 'nogroup' } } : {}) },
      'production/bad configuration': {
        ini: PRODUCTION,
        prepend,
        env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector.invalid:4318', OTEL_TRACES_SAMPLER: 'bogus', OTEL_TRACES_SAMPLER_ARG: '-1', TRACEKIT_EXPORT_TIMEOUT_MS: 'soon', OTEL_RESOURCE_ATTRIBUTES: '==,%zz', TRACEKIT_FINISH_REQUEST: 'perhaps' },
      },
      'production/switched off': { ini: PRODUCTION, prepend, env: { TRACEKIT_DISABLED: '1' } },
      'production/sidecar hung, 1 s budget': { ini: PRODUCTION, prepend, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${dir}/hung-long.sock`, TRACEKIT_EXPORT_TIMEOUT_MS: '1000' } },
      'development/baseline': { ini: DEVELOPMENT, prepend: null, env: {} },
      'development/sidecar up': { ini: DEVELOPMENT, prepend, env: {} },
      'development/sidecar hung': { ini: DEVELOPMENT, prepend, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${dir}/hung.sock` } },
    };
    // Started one after another: the machine has two cores shared with other suites.
    for (const [name, v] of Object.entries(variants)) {
      const fpm = await startPhpFpm({ prepend: v.prepend, ini: v.ini, env: v.env, workers: 1, ...(v.runAs ? { runAs: v.runAs } : {}) });
      const nginx = await startNginx({ root: fixtures, fastcgiSocket: fpm.socket });
      servers.set(name, { fpm, nginx });
    }
  });

  afterAll(async () => {
    for (const { fpm, nginx } of servers.values()) {
      await nginx.stop();
      await fpm.stop();
    }
    await hung.close();
    await hungLong.close();
    await locked.close();
    await sidecar?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a fixture for every scenario and a scenario for every fixture', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(12);
    expect(readdirSync(fixtures).filter((f) => f.endsWith('.php')).sort()).toEqual(SCENARIOS.map((s) => s.file).concat('side-effects.php', 'tracing-probe.php', 'large-span.php').sort());
  });

  for (const profile of ['production', 'development'] as const) {
    const traced = profile === 'production'
      ? ['sidecar up', 'socket missing', 'connection refused', 'sidecar hung', 'socket not writable', 'bad configuration', 'switched off']
      : ['sidecar up', 'sidecar hung'];
    describe(`${profile} php.ini`, () => {
      it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
        const baseline = await rawRequest(servers.get(`${profile}/baseline`)!.nginx.port, scenario);
        for (const variant of traced) {
          const got = await rawRequest(servers.get(`${profile}/${variant}`)!.nginx.port, scenario);
          expect(got.status, `${variant}: status`).toBe(baseline.status);
          expect(got.headers, `${variant}: headers`).toEqual(baseline.headers);
          expect(got.body.equals(baseline.body), `${variant}: body differs:\n${got.body.toString('utf8').slice(0, 400)}\n---\n${baseline.body.toString('utf8').slice(0, 400)}`).toBe(true);
        }
      });
    });
  }

  it('side effects (a file written by the page, a shutdown function and a destructor) are the same', async () => {
    const expected = 'page\nshutdown\ndestructor\n';
    for (const variant of ['production/baseline', 'production/sidecar up', 'production/sidecar hung', 'production/socket missing']) {
      const file = path.join('/tmp', `${path.basename(dir)}-${variant.replace(/\W+/g, '-')}.txt`);
      try {
        const res = await rawRequest(servers.get(variant)!.nginx.port, { name: 'side effects', file: 'side-effects.php' }, `file=${encodeURIComponent(file)}`);
        expect(res.status, variant).toBe(200);
        expect(res.body.toString('utf8')).toBe('wrote\n');
        const content = await waitFor(async () => {
          const text = (() => { try { return readFileSync(file, 'utf8'); } catch { return ''; } })();
          return text.split('\n').length > 3 ? text : undefined;
        }, `three lines in ${file}`);
        expect(content, variant).toBe(expected);
      } finally {
        rmSync(file, { force: true });
      }
    }
  });

  it('the traced servers really traced: root spans reached the sidecar, with the failures recorded', async () => {
    const spans = await waitFor(async () => {
      const all = await sidecar!.spans();
      return all.some((s) => s.span.name === 'GET /fatal-error.php') && all.some((s) => s.span.name === 'GET /uncaught-exception.php') ? all : undefined;
    }, 'spans of the failing pages');
    const uncaught = spans.find((s) => s.span.name === 'GET /uncaught-exception.php')!.span;
    expect(uncaught.attributes['error.type']).toBe('RuntimeException');
    expect(uncaught.status).toEqual({ code: 2, message: 'the page failed' });
    const exception = uncaught.events.find((e: any) => e.name === 'exception');
    expect(exception).toBeDefined();
    const fatal = spans.find((s) => s.span.name === 'GET /fatal-error.php')!.span;
    expect(fatal.attributes['error.type']).toBe('Error');
    expect(fatal.status.code).toBe(2);
    expect(spans.find((s) => s.span.name === 'GET /plain.php')!.span.attributes['http.response.status_code']).toBe(200);
    expect(spans.find((s) => s.span.name === 'GET /exit-with-status.php')!.span.attributes['http.response.status_code']).toBe(503);
    // The unwritable socket really was: tracing ran in that worker (as nobody when we are root), and nothing reached the socket.
    const probe = await rawRequest(servers.get('production/socket not writable')!.nginx.port, { name: 'probe', file: 'tracing-probe.php' });
    expect(JSON.parse(probe.body.toString('utf8'))).toEqual({ tracing: true, uid: asRoot ? 65534 : process.getuid?.() });
    expect(locked.received).toBe('');
    expect(locked.sockets.size + locked.closed).toBe(0);
    // The runtime never wrote to the PHP error log of a traced server.
    for (const [name, { fpm }] of servers) if (name !== 'production/baseline' && name !== 'development/baseline') expect(fpm.log(), name).not.toMatch(/Tracekit|tracekit-runtime|tracekit-prepend/);
  });

  it('with a hung sidecar neither the client nor the worker waits for an answer, even where fastcgi_finish_request is unsafe', async () => {
    // This server serves only this test (one worker, 1 s budget), so every export its stand-in sees comes from here.
    const server = servers.get('production/sidecar hung, 1 s budget')!;
    const plain = await rawRequest(server.nginx.port, SCENARIOS[0]!);
    expect(plain.status).toBe(200);
    // The destructor page exports before PHP flushes its output (finishing early would cut the
    // destructor off), on the same single worker, right after the first export.
    const page = await rawRequest(server.nginx.port, SCENARIOS.find((s) => s.file === 'destructor-output.php')!);
    expect(page.body.toString('utf8')).toBe('page body\n[printed by a destructor]\n');
    await waitFor(async () => (hungLong.received.includes('"name":"GET /destructor-output.php"') ? true : undefined), 'both exports at the stand-in');
    // Both exports went down one kept connection that the stand-in never answered; the worker
    // did not sit out its budget on it (that would have ended in closing the connection).
    expect(hungLong.received.match(/POST \/v1\/traces HTTP\/1\.1\r\n/g)).toHaveLength(2);
    expect(hungLong.received).toContain('"name":"GET /plain.php"');
    expect(hungLong.sockets.size).toBe(1);
    expect(hungLong.closed).toBe(0);
  });
});

describe.skipIf(!ready)('a sidecar that stops reading: the write that would block', () => {
  let dir: string;
  // Accepts and does not read until told to: the export's write then has to wait.
  const listener = { server: null as net.Server | null, sockets: [] as net.Socket[], received: '' };
  let fpm: PhpFpm;
  let nginx: Nginx;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tk-php-stall-'));
    listener.server = net.createServer((socket) => {
      socket.pause();
      listener.sockets.push(socket);
      socket.on('data', (c) => (listener.received += c.toString('utf8')));
      socket.on('error', () => {});
    });
    listener.server.listen(path.join(dir, 'stalled.sock'));
    await once(listener.server, 'listening');
    await writePhpInit(planPhpInit({ outDir: path.join(dir, 'bootstrap'), cwd: dir, serviceName: 'stall', endpoint: `unix://${dir}/stalled.sock` }));
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'bootstrap'), 0o755);
    fpm = await startPhpFpm({ prepend: path.join(dir, 'bootstrap', 'tracekit-prepend.php'), env: { TRACEKIT_EXPORT_TIMEOUT_MS: '1000' }, workers: 1 });
    nginx = await startNginx({ root: fixtures, fastcgiSocket: fpm.socket });
  });

  afterAll(async () => {
    await nginx?.stop();
    await fpm?.stop();
    for (const s of listener.sockets) s.destroy();
    await new Promise<void>((resolve) => (listener.server ? listener.server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the client while the worker still waits on the write, which completes once the sidecar reads', async () => {
    // ~1.2 MB of span: more than the socket buffers hold, so the export's write stalls.
    const page = await rawRequest(nginx.port, { name: 'a large span', file: 'large-span.php' });
    expect(page.status).toBe(200);
    expect(page.body.toString('utf8')).toBe('large span\n');
    // The client has its whole answer. Had the worker given up on the write first (its budget is
    // 1 s), the connection would be gone; reading now lets the waiting write finish on it instead.
    expect(listener.sockets).toHaveLength(1);
    listener.sockets[0]!.resume();
    await waitFor(async () => (listener.received.includes('"name":"GET /large-span.php"') && listener.received.includes('test.filler.299') && listener.received.endsWith(']}]}]}') ? true : undefined), 'the whole large export');
    // The connection was kept (a dropped one would make the next export open a new one).
    const next = await rawRequest(nginx.port, SCENARIOS[0]!);
    expect(next.status).toBe(200);
    await waitFor(async () => (listener.received.includes('"name":"GET /plain.php"') ? true : undefined), 'the next export');
    expect(listener.sockets).toHaveLength(1);
    expect(listener.received.match(/POST \/v1\/traces HTTP\/1\.1\r\n/g)).toHaveLength(2);
  });
});
