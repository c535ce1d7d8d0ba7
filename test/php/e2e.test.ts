import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPages, type Page } from '../helpers/legacy-pages.js';
import { planPhpInit, writePhpInit } from '../../src/php/init.js';
import { findMariaDB, startMariaDB, type MariaDB } from '../helpers/mariadb.js';
import { startTogether } from '../helpers/start-together.js';
import { findNginx, startNginx, type Nginx } from '../helpers/nginx.js';
import { findPhpFpm, startPhpFpm, type PhpFpm } from '../helpers/php-fpm.js';
import { repoRoot } from './php-cli.js';
import { startSidecarProcess, waitFor, type ForwardedSpan, type SidecarProcess } from './sidecar-process.js';

const appDir = path.join(repoRoot, 'examples', 'legacy-app');
const ready = findPhpFpm() !== null && findNginx() !== null && findMariaDB() !== null;


describe.skipIf(!ready)('root spans from examples/legacy-app through nginx + php-fpm and the real sidecar', () => {
  let dir: string;
  let db: MariaDB | undefined;
  let sidecar: SidecarProcess | undefined;
  let fpm: PhpFpm | undefined;
  let nginx: Nginx | undefined;
  const pages = loadPages();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tk-php-e2e-'));
    await startTogether([
      startMariaDB({ sqlFiles: [path.join(appDir, 'sql/schema.sql'), path.join(appDir, 'sql/seed.sql')] }).then((started) => (db = started)),
      startSidecarProcess(dir).then((started) => (sidecar = started)),
    ]);
    const database = db!;
    const side = sidecar!;
    await writePhpInit(planPhpInit({ outDir: path.join(dir, 'bootstrap'), cwd: dir, serviceName: 'legacy-app', endpoint: `unix://${side.socket}` }));
    fpm = await startPhpFpm({
      prepend: path.join(dir, 'bootstrap', 'tracekit-prepend.php'),
      env: { ...database.env, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test' },
    });
    nginx = await startNginx({ root: appDir, fastcgiSocket: fpm.socket });
  });

  afterAll(async () => {
    await nginx?.stop();
    await fpm?.stop();
    await sidecar?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function request(page: Page, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(page.path, nginx!.url);
    for (const [k, v] of Object.entries(page.query)) url.searchParams.set(k, v);
    const init: RequestInit = { method: page.method, headers: { 'user-agent': 'tracekit-e2e/1', ...headers } };
    if (page.body) {
      init.body = new URLSearchParams(page.body).toString();
      (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
    }
    return fetch(url, init);
  }

  async function spanFor(predicate: (s: ForwardedSpan) => boolean, what: string): Promise<ForwardedSpan> {
    return waitFor(async () => (await sidecar!.spans()).find(predicate), what);
  }

  it('every page of pages.json answers as listed and yields one SERVER root span with the HTTP attributes', async () => {
    const marks: Array<{ page: Page; mark: string }> = [];
    for (const [i, page] of pages.entries()) {
      const mark = `e2e-${i}`;
      const res = await request(page, { 'user-agent': mark });
      const body = await res.text();
      expect(res.status, page.path).toBe(page.status);
      for (const text of page.contains) expect(body, page.path).toContain(text);
      marks.push({ page, mark });
    }
    for (const { page, mark } of marks) {
      const { span, resource } = await spanFor((s) => s.span.attributes['user_agent.original'] === mark, `the span of ${page.method} ${page.path} (${mark})`);
      const all = (await sidecar!.spans()).filter((s) => s.span.attributes['user_agent.original'] === mark);
      expect(all, mark).toHaveLength(1);
      expect(span.kind, mark).toBe(2);
      expect(span.name, mark).toBe(`${page.method} ${page.path}`);
      expect(span.parentSpanId ?? '', mark).toBe('');
      expect(span.attributes).toMatchObject({
        'http.request.method': page.method,
        'url.path': page.path,
        'url.scheme': 'http',
        'http.route': page.path,
        'http.response.status_code': page.status,
        'server.address': '127.0.0.1',
        'server.port': nginx!.port,
        'client.address': '127.0.0.1',
        'network.protocol.version': '1.1',
      });
      const query = new URLSearchParams(page.query).toString();
      if (query !== '') expect(span.attributes['url.query'], mark).toBe(query);
      if (page.status >= 500) {
        expect(span.status, mark).toEqual({ code: 2 });
        expect(span.attributes['error.type'], mark).toBe(String(page.status));
      } else {
        expect(span.status ?? { code: 0 }, mark).toEqual({ code: 0 });
      }
      expect(BigInt(span.endTimeUnixNano)).toBeGreaterThan(BigInt(span.startTimeUnixNano));
      expect(resource).toMatchObject({ 'service.name': 'legacy-app', 'telemetry.sdk.name': 'tracekit', 'telemetry.sdk.language': 'php', 'deployment.environment.name': 'test' });
      expect(typeof resource['host.name']).toBe('string');
      expect(resource['process.pid']).toBeGreaterThan(0);
    }
  });

  it('continues the caller\'s trace from an incoming traceparent, and keeps its tracestate', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    const page = pages.find((p) => p.path === '/about.php')!;
    const res = await request(page, { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'vendor=abc', 'user-agent': 'e2e-continue' });
    expect(res.status).toBe(200);
    await res.text();
    const { span } = await spanFor((s) => s.span.attributes['user_agent.original'] === 'e2e-continue', 'the continued span');
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(parent);
    expect(span.traceState).toBe('vendor=abc');
  });

  it('honours the caller\'s "not sampled" decision and ignores a malformed traceparent', async () => {
    const page = pages.find((p) => p.path === '/about.php')!;
    const unsampled = await request(page, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-00', 'user-agent': 'e2e-unsampled' });
    await unsampled.text();
    const bad = await request(page, { traceparent: '00-NOT-A-TRACE-01', 'user-agent': 'e2e-malformed' });
    await bad.text();
    const { span } = await spanFor((s) => s.span.attributes['user_agent.original'] === 'e2e-malformed', 'the span with a malformed parent');
    expect(span.parentSpanId ?? '').toBe('');
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    // Both requests were served by the same two workers, in order; the malformed one was exported, the unsampled one never is.
    expect((await sidecar!.spans()).some((s) => s.span.attributes['user_agent.original'] === 'e2e-unsampled')).toBe(false);
  });
});
