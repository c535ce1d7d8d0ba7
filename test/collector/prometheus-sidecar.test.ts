import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { JOBS, sidecarPanelQueries } from '../../src/collector/queries.js';
import { panelsOf } from '../../src/doctor/check-dashboards.js';
import { requireTool } from '../helpers/require-tool.js';
import { writeTempSeam, type WrittenSeam } from './seam-fixture.js';
import { pollUntil } from '../helpers/poll.js';

const prometheusBin = requireTool('prometheus');
const root = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const s = createNetServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

/** Polls `probe` until it returns a value, or fails with `what` at the deadline. */
function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMillis = 60_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMillis, intervalMillis: 250, retryOnError: true });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const done = once(child, 'exit').then(() => undefined);
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return done.finally(() => clearTimeout(force));
}

const SPAN_JSON = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeSpans: [
        {
          scope: { name: 'tracekit-test' },
          spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'GET /cart', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000100000000' }],
        },
      ],
    },
  ],
});
const METRIC_JSON = JSON.stringify({
  resourceMetrics: [
    {
      resource: { attributes: [] },
      scopeMetrics: [{ scope: { name: 'tracekit-test' }, metrics: [{ name: 'x', sum: { dataPoints: [{ asDouble: 1, timeUnixNano: '1700000000000000000' }], aggregationTemporality: 2, isMonotonic: true } }] }],
    },
  ],
});

describe.skipIf(prometheusBin === null)('Sidecar health dashboard on a real Prometheus scraping a real sidecar', () => {
  let seam: WrittenSeam;
  let work: string;
  let upstream: Server;
  let sidecar: ChildProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let sidecarAddress = '';
  const upstreamSeen: Record<string, number> = {};

  beforeAll(async () => {
    seam = await writeTempSeam();
    work = mkdtempSync(path.join(tmpdir(), 'tracekit-prom-'));

    // The collector's place upstream: the first trace export fails (503, so
    // the sidecar retries), later ones succeed; metrics are refused (400, so
    // the sidecar drops them and says why).
    upstream = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const signal = (req.url ?? '').replace('/v1/', '');
        const n = (upstreamSeen[signal] = (upstreamSeen[signal] ?? 0) + 1);
        const status = signal === 'traces' ? (n === 1 ? 503 : 200) : 400;
        res.writeHead(status, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const upstreamPort = (upstream.address() as AddressInfo).port;

    const sidecarConfig = path.join(work, 'sidecar.yaml');
    writeFileSync(sidecarConfig, stringify({ batchTimeout: '50ms', retry: { initialBackoff: '50ms', maxBackoff: '200ms', maxAttempts: 5 } }));
    if (!existsSync(path.join(root, 'dist/src/cli.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    sidecar = spawn(process.execPath, [path.join(root, 'bin/tracekit.js'), 'sidecar', '--listen', '127.0.0.1:0', '--no-socket', '--upstream', `http://127.0.0.1:${upstreamPort}`, '--config', sidecarConfig], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    sidecar.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: sidecar.stdout! });
    const exited = once(sidecar, 'exit').then(([code]) => {
      throw new Error(`sidecar exited with ${String(code)} before listening: ${stderr}`);
    });
    const listening = new Promise<string>((resolve) => {
      lines.on('line', (line) => {
        if (!line.includes('"msg":"listening"')) return;
        resolve((JSON.parse(line) as { tcp: string }).tcp);
      });
    });
    sidecarAddress = await Promise.race([listening, exited]);
    exited.catch(() => undefined);

    // Real traffic through the sidecar: a span, a refused content type, metrics the upstream refuses.
    const base = `http://${sidecarAddress}`;
    expect((await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SPAN_JSON })).status).toBe(200);
    const refused = (await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })).status;
    expect(refused >= 400 && refused < 500, `status ${refused}`).toBe(true);
    expect((await fetch(`${base}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: METRIC_JSON })).status).toBe(200);
    await waitFor('the sidecar to forward, retry and drop', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const ok = /tracekit_sidecar_items_forwarded_total\{signal="traces"\} 1/.test(text) && /tracekit_sidecar_upstream_retries_total/.test(text) && /tracekit_sidecar_items_dropped_total\{signal="metrics"/.test(text);
      return ok ? true : undefined;
    });

    // Prometheus with the generated scrape job for sidecars, fed a targets file.
    const scrape = parseYaml(seam.read('prometheus/tracekit-scrape.yml')) as { scrape_configs: Array<Record<string, unknown>> };
    const sidecarJob = scrape.scrape_configs.find((j) => j.job_name === JOBS.sidecar)!;
    const targets = path.join(work, 'sidecars.yml');
    writeFileSync(targets, stringify([{ targets: [sidecarAddress], labels: { host: 'php-test' } }]));
    const config = {
      // Scrape every second so that rates have two points within seconds.
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['prometheus/rules/tracekit-recording.rules.yml', 'prometheus/rules/tracekit-alerts.rules.yml'].map((r) => path.join(seam.dir, r)),
      scrape_configs: [{ ...sidecarJob, scrape_interval: '1s', file_sd_configs: [{ files: [targets], refresh_interval: '1s' }] }],
    };
    const configFile = path.join(work, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(prometheusBin as string, [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(work, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let promErr = '';
    prometheus.stderr!.on('data', (d: Buffer) => (promErr += d.toString()));
    await waitFor(`Prometheus /-/ready (${promErr})`, async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
  });

  afterAll(async () => {
    await stop(prometheus);
    await stop(sidecar);
    if (upstream) {
      upstream.closeAllConnections();
      upstream.close();
    }
    seam?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('scrapes the sidecar with the generated job', async () => {
    const up = await waitFor('the sidecar target to be up', async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(`up{job="${JOBS.sidecar}"}`)}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0]?.value[1] === '1' ? body.data.result : undefined;
    });
    expect(up).toHaveLength(1);
  });

  it('returns data for every Sidecar-health panel query', async () => {
    const dashboard: unknown = JSON.parse(seam.read('grafana/dashboards/tracekit-sidecar-health.json'));
    const exprs = panelsOf(dashboard).map((p) => ({ title: String(p.title), expr: (p.targets as Array<{ expr: string }>)[0]!.expr }));
    expect(exprs.map((e) => e.expr)).toEqual(sidecarPanelQueries().map((q) => q.expr));
    for (const { title, expr } of exprs) {
      const result = await waitFor(`data for panel "${title}" (${expr})`, async () => {
        const body = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
        expect(body.status).toBe('success');
        return body.data.result.length > 0 ? body.data.result : undefined;
      });
      expect(result.length, title).toBeGreaterThan(0);
      expect(result.every((r) => r.metric.instance === undefined || r.metric.instance === sidecarAddress)).toBe(true);
    }
  });

  it('accepts every panel query of every generated dashboard (Grafana variables substituted)', async () => {
    const files = seam.files.filter((f) => f.path.startsWith('grafana/dashboards/'));
    let checked = 0;
    for (const f of files) {
      for (const p of panelsOf(JSON.parse(f.content))) {
        for (const t of p.targets as Array<{ expr: string }>) {
          const expr = t.expr.replaceAll('$__range', '1h').replaceAll('$__interval', '5m');
          const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
          const body = (await res.json()) as { status: string; error?: string };
          expect(body.status, `${f.path} "${String(p.title)}": ${body.error ?? ''}`).toBe('success');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(25);
  });

  it('sees the values the sidecar reports: one span forwarded, metrics dropped as upstream_rejected', async () => {
    const q = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> =>
      ((await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    const forwarded = await q('tracekit_sidecar_items_forwarded_total{signal="traces"}');
    expect(forwarded.map((r) => r.value[1])).toEqual(['1']);
    const dropped = await q('tracekit_sidecar_items_dropped_total');
    expect(dropped.map((r) => [r.metric.signal, r.metric.reason])).toEqual([['metrics', 'upstream_rejected']]);
    expect(upstreamSeen.traces).toBeGreaterThanOrEqual(2);
  });
});
