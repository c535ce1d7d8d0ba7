import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPages, type Page } from '../helpers/legacy-pages.js';
import { findMariaDB } from '../helpers/mariadb.js';
import { findNginx } from '../helpers/nginx.js';
import { findPhpFpm } from '../helpers/php-fpm.js';
import { requireTool } from '../helpers/require-tool.js';
import { expectedSpans, pageKey } from '../hooks/expected-spans.js';
import { pollUntil } from '../helpers/poll.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ready = findPhpFpm() !== null && findNginx() !== null && findMariaDB() !== null && requireTool('prometheus', ['/usr/bin/prometheus']) !== null;


interface Flat {
  traceId: string;
  spanId: string;
  startTimeUnixNano: string;
  status?: { code?: number };
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

function flatten(list: Array<{ key: string; value: Record<string, unknown> }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const [kind, v] = Object.entries(value)[0] ?? [];
    out[key] = kind === 'intValue' ? Number(v) : v;
  }
  return out;
}

/** Every span in a file: sink (one `{"signal","request"}` line per export). */
function spansIn(file: string): Flat[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Flat[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { signal: string; request: any };
    if (entry.signal !== 'traces') continue;
    for (const rs of entry.request.resourceSpans ?? []) {
      const resource = flatten(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) out.push({ ...s, attributes: flatten(s.attributes), resource });
    }
  }
  return out;
}

function poll<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMillis = 30_000): Promise<T> {
  return pollUntil(what, fn, { timeoutMillis, intervalMillis: 100 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

interface Run {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

function startStage(args: string[]): Run {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'tracekit.js'), 'stage', '--local', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => out, exit };
}

describe.skipIf(!ready)('tracekit stage --local, end to end', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'tk-stl-'));
  const dir = path.join(tmp, 'run');
  let run: Run;
  let state: { pids: Record<string, number>; appUrl: string; prometheusUrl: string; tracesFile: string };
  const pages = loadPages();

  beforeAll(async () => {
    run = startStage(['--dir', dir]);
    let exited = false;
    void run.exit.then(() => (exited = true));
    await poll('the "ready:" line', () => {
      if (exited) throw new Error(`stage --local exited before ready:\n${run.output()}`);
      return /^ready: /m.test(run.output()) ? true : undefined;
    }, 120_000);
    state = JSON.parse(readFileSync(path.join(dir, 'stage-local.json'), 'utf8'));
  }, 150_000);

  afterAll(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      await run.exit;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints what runs where: every daemon with its pid', () => {
    expect(Object.keys(state.pids).sort()).toEqual(['mariadb', 'nginx', 'php-fpm', 'prometheus', 'sidecar']);
    for (const [name, pid] of Object.entries(state.pids)) {
      expect(run.output(), name).toContain(`pid ${pid}`);
      expect(alive(pid), name).toBe(true);
    }
    expect(run.output()).toContain(`ready: ${state.appUrl}`);
    expect(state.appUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves every page of the example app from the seeded MariaDB, and each request becomes a trace in the file sink, with its DB spans', async () => {
    const marks: Array<{ page: Page; mark: string }> = [];
    for (const [i, page] of pages.entries()) {
      const url = new URL(page.path.replace(/^\//, ''), state.appUrl);
      for (const [k, v] of Object.entries(page.query)) url.searchParams.set(k, v);
      const mark = `stage-local-${i}`;
      const init: RequestInit = { method: page.method, headers: { 'user-agent': mark } };
      if (page.body) {
        init.body = new URLSearchParams(page.body).toString();
        (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
      }
      const res = await fetch(url, init);
      const body = await res.text();
      expect(res.status, page.path).toBe(page.status);
      for (const text of page.contains) expect(body, page.path).toContain(text);
      marks.push({ page, mark });
    }
    const roots = await poll('a root span for every request', () => {
      const spans = spansIn(state.tracesFile);
      const found = marks.map(({ mark }) => spans.find((s) => s.kind === 2 && s.attributes['user_agent.original'] === mark));
      return found.every((s) => s !== undefined) ? (found as Flat[]) : undefined;
    });
    for (const [i, root] of roots.entries()) {
      const { page } = marks[i]!;
      expect(root.parentSpanId ?? '', page.path).toMatch(/^0*$/);
      expect(root.attributes['url.path'], page.path).toBe(page.path);
      expect(root.attributes['http.request.method'], page.path).toBe(page.method);
      expect(root.attributes['http.response.status_code'], page.path).toBe(page.status);
      expect(root.resource['service.name']).toBe('legacy-app');
      expect(root.resource['deployment.environment.name']).toBe('local');
      expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(roots.map((r) => r.traceId)).size).toBe(roots.length);

    // The DB spans: what `php hooks` + the default `php rewrite` give each page
    // (the same expectations as the hooks' own end-to-end test).
    const spans = spansIn(state.tracesFile);
    let checked = 0;
    for (const [i, root] of roots.entries()) {
      const { page } = marks[i]!;
      const children = spans
        .filter((s) => s.traceId === root.traceId && s.spanId !== root.spanId)
        .sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
      const expected = expectedSpans(page, { all: false });
      expect(children.map((c) => `${String(c.attributes['tracekit.db.call'])} ${(c.attributes['db.query.text'] as string | undefined) ?? ''}`), pageKey(page)).toEqual(
        expected.map((e) => `${e.call} ${e.text ?? ''}`),
      );
      for (const [j, child] of children.entries()) {
        expect(child.kind, pageKey(page)).toBe(3);
        expect(child.parentSpanId, pageKey(page)).toBe(root.spanId);
        expect(child.attributes['db.system.name']).toBe('mysql');
        expect(child.attributes['db.namespace']).toBe('shop');
        expect(child.attributes['db.operation.name']).toBe(expected[j]!.operation);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(45);
  }, 90_000);

  it('Prometheus scrapes the sidecar and sees the spans it received', async () => {
    const query = async (q: string): Promise<number | undefined> => {
      const res = await fetch(`${state.prometheusUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      const json = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      const v = json.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };
    expect(await poll('up{job="tracekit-sidecar"} == 1', async () => ((await query('up{job="tracekit-sidecar"}')) === 1 ? 1 : undefined), 60_000)).toBe(1);
    const received = await poll('spans received in Prometheus', async () => {
      const v = await query('sum(tracekit_sidecar_items_received_total{signal="traces"})');
      return v !== undefined && v >= pages.length ? v : undefined;
    }, 60_000);
    expect(received).toBeGreaterThanOrEqual(pages.length);
  }, 130_000);

  it('on SIGTERM stops every daemon it started and exits 0', async () => {
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.output()).toMatch(/stopping \(SIGTERM\)/);
    expect(run.output()).toMatch(/^stopped$/m);
    for (const [name, pid] of Object.entries(state.pids)) expect(alive(pid), `${name} pid ${pid}`).toBe(false);
    // --dir was given: the traces stay for reading
    expect(spansIn(state.tracesFile).length).toBeGreaterThanOrEqual(pages.length);
  }, 60_000);
});

describe.skipIf(!ready)('tracekit stage --local, failing start-up', () => {
  it('stops what it had started when nginx cannot bind its port, and exits 2 naming nginx', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'tk-stf-'));
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = startStage(['--dir', path.join(tmp, 'run'), '--port', String(port)]);
      const code = await run.exit;
      expect(code, run.output()).toBe(2);
      expect(run.output()).toMatch(/nginx .*(Address already in use|exited)/s);
      expect(run.output()).toContain('[TRACEKIT_E_STAGE_START_FAILED]');
      const state = JSON.parse(readFileSync(path.join(tmp, 'run', 'stage-local.json'), 'utf8')) as { pids: Record<string, number> };
      expect(Object.keys(state.pids).sort()).toEqual(['mariadb', 'php-fpm', 'sidecar']);
      for (const [name, pid] of Object.entries(state.pids)) expect(alive(pid), `${name} pid ${pid}`).toBe(false);
    } finally {
      blocker.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 150_000);

  it('refuses a non-empty --dir and a bad --port before starting anything', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'tk-stu-'));
    try {
      const a = startStage(['--dir', repoRoot]);
      expect(await a.exit).toBe(2);
      expect(a.output()).toMatch(/expected --dir .* to be empty or absent.*\[TRACEKIT_E_USAGE\]/s);
      const b = startStage(['--port', 'http']);
      expect(await b.exit).toBe(2);
      expect(b.output()).toContain("expected --port to be a TCP port 1-65535, found 'http'");
      const c = startStage(['--php', '7.4']);
      expect(await c.exit).toBe(2);
      expect(c.output()).toMatch(/only for the Docker stack/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
