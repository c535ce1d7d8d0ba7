#!/usr/bin/env node
// Side-by-side comparison of two builds of `tracekit sidecar` under the same
// load: a baseline checkout (e.g. `git archive <commit> | tar -x -C DIR`,
// node_modules linked, `npx tsc -p tsconfig.build.json`) against this one.
// Both sidecars run at once, each forwarding to its own bare sink; for each cell
// (OTLP/protobuf bodies of 1, 10 and 100 DB spans, the PHP bootstrap's
// OTLP/JSON export — bench/sidecar/bodies.mjs) wrk loads one, then the other,
// alternating which goes first, so both share the machine's drift (after an
// unmeasured warm-up run of each). Reported
// per cell: medians of requests/s and of each sidecar's CPU per request (user +
// system of the whole process from /proc, read after its last batch went out),
// and current/baseline of the CPU; the same for the busiest thread alone (the
// one that receives: it sets how many requests the sidecar takes per second,
// while the process's CPU also counts V8's GC helpers and any other thread);
// and the CPU its sink spent per request (how the sidecar writes upstream
// changes what receiving costs the collector).
// On a shared machine req/s moves with the contention; CPU per request is the
// steadier figure.
//
// Usage (after `npm run build`, under the benchmark lock):
//   flock /tmp/tracekit-bench.lock node bench/sidecar/ab.mjs BASELINE_DIR [--rounds 5] [--duration 3] [--connections 8] [--cells 1,10,100,php]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busiestThreadSeconds, childStarter, cpuSeconds, pickCells, threadCpuSeconds, waitForwarded, wrk as runWrk, writeBodies, writePostScript } from './load.mjs';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/stats.mjs';
import { stopChild } from '../lib/process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const { flag, positive } = flagReader(args);
const baselineDir = args[0] && !args[0].startsWith('--') ? path.resolve(args[0]) : null;
if (baselineDir === null) throw new Error('usage: node bench/sidecar/ab.mjs BASELINE_DIR [--rounds N] [--duration S] [--connections C]: expected a built baseline checkout');
const rounds = positive('rounds', '5');
const duration = positive('duration', '3');
const connections = positive('connections', '8');

// --cells 1,10,100,php picks cells: protobuf bodies of that many spans, php the OTLP/JSON export.
const cells = pickCells(flag('cells', '1,10,100,php'));
const start = childStarter({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', TRACEKIT_UPSTREAM: '' });

async function wrk(port, prefix, contentType, script, seconds = duration) {
  const run = await runWrk({ url: `http://127.0.0.1:${port}/v1/traces`, script, bodyPrefix: prefix, contentType, connections, seconds });
  if (run.non2xx > 0) throw new Error(`${run.non2xx} answers were not 200: the comparison needs both builds to accept every request`);
  return run;
}

const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-sidecar-ab-'));
const script = await writePostScript(dir);

const sinks = { baseline: await start([path.join(root, 'bench/sidecar/sink.mjs'), '0']), current: await start([path.join(root, 'bench/sidecar/sink.mjs'), '0']) };
const sidecarArgs = (sink) => ['sidecar', '--listen', '127.0.0.1:0', '--no-socket', '--upstream', `http://127.0.0.1:${sink.port}`, '--log-level', 'warn'];
const builds = {
  baseline: await start([path.join(baselineDir, 'bin/tracekit.js'), ...sidecarArgs(sinks.baseline)]),
  current: await start([path.join(root, 'bin/tracekit.js'), ...sidecarArgs(sinks.current)]),
};
const rows = [];
try {
  for (const [index, cell] of cells.entries()) {
    const { prefix } = await writeBodies(path.join(dir, `body-${index}-`), cell.make);
    // One unmeasured run each first: the JIT warms up on this cell's bodies.
    for (const target of Object.values(builds)) await wrk(target.port, prefix, cell.contentType, script, 1);
    const runs = { baseline: [], current: [] };
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline']) {
        const target = builds[name];
        const cpu0 = await cpuSeconds(target.child.pid);
        const sinkCpu0 = await cpuSeconds(sinks[name].child.pid);
        const threads0 = threadCpuSeconds(target.child.pid);
        const run = await wrk(target.port, prefix, cell.contentType, script);
        // The last batch of this run goes out (on the batch timeout) and is counted before the next run.
        if (!(await waitForwarded(target.port))) throw new Error(`the ${name} sidecar did not forward everything it accepted within 10 s`);
        const perRequest = (seconds) => (seconds * 1e6) / run.requests;
        runs[name].push({
          rps: run.rps,
          cpu: perRequest((await cpuSeconds(target.child.pid)) - cpu0),
          thread: perRequest(busiestThreadSeconds(threads0, threadCpuSeconds(target.child.pid))),
          sink: perRequest((await cpuSeconds(sinks[name].child.pid)) - sinkCpu0),
        });
      }
    }
    const summary = (list) => ({ rps: median(list.map((r) => r.rps)), cpu: median(list.map((r) => r.cpu)), thread: median(list.map((r) => r.thread)), sink: median(list.map((r) => r.sink)) });
    rows.push({ label: cell.label, baseline: summary(runs.baseline), current: summary(runs.current) });
    const r = rows.at(-1);
    process.stderr.write(`${cell.label}: CPU µs/request baseline ${r.baseline.cpu.toFixed(1)}, current ${r.current.cpu.toFixed(1)}; busiest thread ${r.baseline.thread.toFixed(1)}, ${r.current.thread.toFixed(1)}\n`);
  }
} finally {
  for (const b of Object.values(builds)) await stopChild(b.child);
  for (const s of Object.values(sinks)) await stopChild(s.child);
  await rm(dir, { recursive: true, force: true });
}

const lines = [
  `Run: \`node bench/sidecar/ab.mjs ${args.join(' ')}\` on ${new Date().toISOString()}, Node ${process.version}, wrk -c${connections} ${duration}s per run, ${rounds} rounds alternating baseline/current, medians; load average before / after: ${loadBefore} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
  '',
  '| spans/request | baseline req/s | current req/s | baseline CPU µs/request | current CPU µs/request | CPU current/baseline | busiest thread µs/request baseline / current | busiest thread current/baseline | sink CPU µs/request baseline / current |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.baseline.rps.toFixed(0)} | ${r.current.rps.toFixed(0)} | ${r.baseline.cpu.toFixed(1)} | ${r.current.cpu.toFixed(1)} | ${(r.current.cpu / r.baseline.cpu).toFixed(2)} | ${r.baseline.thread.toFixed(1)} / ${r.current.thread.toFixed(1)} | ${(r.current.thread / r.baseline.thread).toFixed(2)} | ${r.baseline.sink.toFixed(1)} / ${r.current.sink.toFixed(1)} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
