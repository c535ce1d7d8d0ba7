import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPages } from '../helpers/legacy-pages.js';
import { planPhpInit, writePhpInit } from '../../src/php/init.js';
import { findMariaDB, startMariaDB, type MariaDB } from '../helpers/mariadb.js';
import { startTogether } from '../helpers/start-together.js';
import { findNginx, startNginx, type Nginx } from '../helpers/nginx.js';
import { findPhpFpm, startPhpFpm, type PhpFpm } from '../helpers/php-fpm.js';
import { repoRoot } from '../php/php-cli.js';
import { startSidecarProcess, waitFor, type ForwardedSpan, type SidecarProcess } from '../php/sidecar-process.js';
import { expectedSpans, pageKey, type ExpectedSpan, type Page } from './expected-spans.js';

const run = promisify(execFile);
const appDir = path.join(repoRoot, 'examples', 'legacy-app');
const cli = path.join(repoRoot, 'bin', 'tracekit.js');
const ready = findPhpFpm() !== null && findNginx() !== null && findMariaDB() !== null;
const pages = loadPages();

async function request(base: string, page: Page, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(page.path, base);
  for (const [k, v] of Object.entries(page.query)) url.searchParams.set(k, v);
  const init: RequestInit = { method: page.method, headers: { ...headers } };
  if (page.body) {
    init.body = new URLSearchParams(page.body).toString();
    (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
}

/**
 * The legacy app served twice from one MariaDB: untraced (the original tree,
 * no prepend) and traced (a copy after `tracekit php hooks --mode wrap` and
 * `tracekit php rewrite`, with tracekit's prepend, exporting to the real
 * sidecar). Every page must answer the same bytes, and every query the page
 * makes must arrive as exactly one CLIENT span under the page's root span.
 */
describe.skipIf(!ready).each([
  { rewrite: ['--all'], tcp: false, label: 'rewrite --all, MariaDB over its unix socket' },
  { rewrite: [], tcp: false, label: 'default rewrite (entry points), unix socket' },
  { rewrite: ['--all'], tcp: true, label: 'rewrite --all, MariaDB over loopback TCP' },
])('mysqli/PDO spans in wrap mode through nginx + php-fpm + MariaDB + the sidecar: $label', ({ rewrite, tcp }) => {
  const all = rewrite.includes('--all');
  let dir: string;
  let db: MariaDB | undefined;
  let sidecar: SidecarProcess | undefined;
  const fpms: PhpFpm[] = [];
  const nginxes: Nginx[] = [];
  let plainUrl: string;
  let tracedUrl: string;
  let rewriteOutput: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tk-hooks-e2e-'));
    const app = path.join(dir, 'app');
    cpSync(appDir, app, { recursive: true });
    await startTogether([
      startMariaDB({ sqlFiles: [path.join(appDir, 'sql/schema.sql'), path.join(appDir, 'sql/seed.sql')] }).then((started) => (db = started)),
      startSidecarProcess(dir).then((started) => (sidecar = started)),
    ]);
    const database = db!;
    const side = sidecar!;
    const boot = path.join(dir, 'bootstrap');
    await writePhpInit(planPhpInit({ outDir: boot, cwd: dir, serviceName: 'legacy-app', endpoint: `unix://${side.socket}` }));
    await run(process.execPath, [cli, 'php', 'hooks', app, '--mode', 'wrap', '--out', path.join(boot, 'tracekit-hooks.php')]);
    rewriteOutput = (await run(process.execPath, [cli, 'php', 'rewrite', app, ...rewrite, '--write'])).stdout;

    // php-fpm refuses an empty env[] value: over TCP the socket variable is left out (the app's default is empty).
    const env = tcp ? Object.fromEntries(Object.entries(database.tcpEnv).filter(([k]) => k !== 'LEGACY_DB_SOCKET')) : database.env;
    const plain = await startPhpFpm({ prepend: null, env, workers: 1 });
    fpms.push(plain);
    const plainNginx = await startNginx({ root: appDir, fastcgiSocket: plain.socket });
    nginxes.push(plainNginx);
    plainUrl = plainNginx.url;
    const traced = await startPhpFpm({ prepend: path.join(boot, 'tracekit-prepend.php'), env, workers: 1 });
    fpms.push(traced);
    const tracedNginx = await startNginx({ root: app, fastcgiSocket: traced.socket });
    nginxes.push(tracedNginx);
    tracedUrl = tracedNginx.url;
  });

  afterAll(async () => {
    for (const n of nginxes) await n.stop();
    for (const f of fpms) await f.stop();
    await sidecar?.stop();
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rewrote the call sites it reports, and no others', () => {
    expect(rewriteOutput).toMatch(/^rewrote \d+ names in \d+ files/);
    expect(rewriteOutput).toContain('inc/db.php:44 mysqli_query -> \\Tracekit\\Wrap\\mysqli_query (db_query)');
    expect(rewriteOutput).toContain('inc/pdo.php:29 PDO -> \\Tracekit\\Wrap\\PDO (shop_pdo)');
    expect(rewriteOutput.includes('customers.php:24 mysqli_query')).toBe(all);
  });

  it('every page answers byte for byte as untraced, and every query is one CLIENT span under the page\'s root span', async () => {
    const marks: Array<{ page: Page; mark: string }> = [];
    for (const [i, page] of pages.entries()) {
      const plain = await request(plainUrl, page, { 'user-agent': `plain-${i}` });
      const mark = `hooks-${all ? 'all' : 'default'}-${tcp ? 'tcp' : 'socket'}-${i}`;
      const traced = await request(tracedUrl, page, { 'user-agent': mark });
      expect(plain.status, pageKey(page)).toBe(page.status);
      expect(traced.status, pageKey(page)).toBe(plain.status);
      expect(traced.body, pageKey(page)).toBe(plain.body);
      marks.push({ page, mark });
    }
    let checked = 0;
    for (const { page, mark } of marks) {
      const root = await waitFor(async () => (await sidecar!.spans()).find((s) => s.span.attributes['user_agent.original'] === mark), `the root span of ${pageKey(page)}`);
      const spans = await sidecar!.spans();
      const children = spans.filter((s) => s.span.traceId === root.span.traceId && s.span.spanId !== root.span.spanId);
      const expected = expectedSpans(page, { all }).map((e) => ({ ...e, namespace: db!.database, address: tcp ? '127.0.0.1' : 'localhost', port: tcp ? db!.port : undefined }));
      const seen = children.map(summarise).sort(byStart(children));
      expect(
        seen.map((s) => `${s.call} ${s.text ?? ''}`),
        pageKey(page),
      ).toEqual(expected.map((e) => `${e.call} ${e.text ?? ''}`));
      for (const [j, child] of children.sort((a, b) => compareNanos(a.span.startTimeUnixNano, b.span.startTimeUnixNano)).entries()) {
        assertSpan(child, root, expected[j]!);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(all ? 60 : 45);
    // Nothing from the wrappers reached PHP's error log (deprecations while linking the classes included).
    for (const fpm of fpms) expect(fpm.log()).not.toMatch(/PHP (Warning|Notice|Deprecated|Fatal|Parse)/);
  });
});

interface Summary {
  call: string;
  text: string | undefined;
}

function summarise(s: ForwardedSpan): Summary & { start: string } {
  return { call: String(s.span.attributes['tracekit.db.call']), text: s.span.attributes['db.query.text'] as string | undefined, start: s.span.startTimeUnixNano };
}

function compareNanos(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function byStart(_all: ForwardedSpan[]) {
  return (a: { start: string }, b: { start: string }) => compareNanos(a.start, b.start);
}

function assertSpan(child: ForwardedSpan, root: ForwardedSpan, expected: ExpectedSpan & { namespace: string; address: string; port: number | undefined }): void {
  const what = `${expected.call} ${expected.text ?? ''}`;
  const { span } = child;
  expect(span.kind, what).toBe(3);
  expect(span.parentSpanId, what).toBe(root.span.spanId);
  expect(span.attributes['db.system.name'], what).toBe('mysql');
  expect(span.attributes['db.namespace'], what).toBe(expected.namespace);
  expect(span.attributes['server.address'], what).toBe(expected.address);
  expect(span.attributes['server.port'], what).toBe(expected.port);
  expect(span.attributes['db.operation.name'], what).toBe(expected.operation);
  expect(span.name, what).toBe(`${expected.operation} ${expected.namespace}`);
  expect(BigInt(span.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
  // Queries are timed with hrtime() and converted at export: they must still lie inside the page's root span.
  expect(BigInt(span.startTimeUnixNano), what).toBeGreaterThanOrEqual(BigInt(root.span.startTimeUnixNano));
  expect(BigInt(span.endTimeUnixNano), what).toBeLessThanOrEqual(BigInt(root.span.endTimeUnixNano));
  if (expected.errno !== undefined) {
    expect(span.status, what).toMatchObject({ code: 2 });
    expect(span.attributes['error.type'], what).toBe(String(expected.errno));
    expect(span.attributes['db.response.status_code'], what).toBe(String(expected.errno));
  } else {
    expect(span.status ?? { code: 0 }, what).toEqual({ code: 0 });
    expect(span.attributes['error.type'], what).toBeUndefined();
  }
}
