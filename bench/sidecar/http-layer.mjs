#!/usr/bin/env node
// The HTTP layer alone: a bare server on node:http (sink.mjs, the baseline of
// ingest.mjs) against the same bare server on tracekit's own HTTP/1.1 server
// (http1-sink.mjs, what the sidecar's receiver runs on). Both only read the
// body and answer 200. Per cell (OTLP/protobuf bodies of 1, 10 and 100 DB
// spans, the PHP bootstrap's OTLP/JSON export), after an unmeasured warm-up
// of each, wrk loads one then the other, alternating which goes first;
// medians of req/s and of each server's CPU per request (user + system of
// the process from /proc). Both start with MALLOC_STEADY (load.mjs), as in
// ingest.mjs, so that neither's cost depends on its heap's history;
// --malloc default leaves glibc's defaults.
//
// Usage (after `npm run build`, under the benchmark lock):
//   flock /tmp/tracekit-bench.lock node bench/sidecar/http-layer.mjs [--rounds 5] [--duration 3] [--connections 8] [--cells 1,10,100,php] [--malloc steady|default]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childStarter, cpuSeconds, pickCells, withSteadyMalloc, wrk as runWrk, writeBodies, writePostScript } from './load.mjs';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/stats.mjs';
import { stopChild } from '../lib/process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const { flag, positive } = flagReader(args);
const rounds = positive('rounds', '5');
const duration = positive('duration', '3');
const connections = positive('connections', '8');
const cells = pickCells(flag('cells', '1,10,100,php'));
const mallocMode = flag('malloc', 'steady');
if (mallocMode !== 'steady' && mallocMode !== 'default') throw new Error(`--malloc expects steady or default, found '${mallocMode}'`);
const startChild = childStarter(mallocMode === 'steady' ? withSteadyMalloc(process.env) : process.env);
const start = (script) => startChild([path.join(here, script), '0']);

const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-http-layer-'));
const script = await writePostScript(dir);
const servers = { 'node:http': await start('sink.mjs'), 'tracekit http1': await start('http1-sink.mjs') };
const names = Object.keys(servers);
const rows = [];
try {
  for (const [index, cell] of cells.entries()) {
    const { prefix, meanBytes } = await writeBodies(path.join(dir, `body-${index}-`), cell.make);
    const load = async (server, seconds) => {
      const run = await runWrk({ url: `http://127.0.0.1:${server.port}/v1/traces`, script, bodyPrefix: prefix, contentType: cell.contentType, connections, seconds });
      if (run.non2xx > 0) throw new Error(`${run.non2xx} answers were not 200`);
      return run;
    };
    for (const server of Object.values(servers)) await load(server, 1);
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const server = servers[name];
        const cpu0 = await cpuSeconds(server.child.pid);
        const run = await load(server, duration);
        runs[name].push({ rps: run.rps, cpu: (((await cpuSeconds(server.child.pid)) - cpu0) * 1e6) / run.requests });
      }
    }
    const summary = (list) => ({ rps: median(list.map((r) => r.rps)), cpu: median(list.map((r) => r.cpu)) });
    const [a, b] = names.map((n) => summary(runs[n]));
    rows.push({ label: cell.label, meanBytes, a, b, ratios: runs[names[1]].map((r, i) => r.rps / runs[names[0]][i].rps) });
    process.stderr.write(`${cell.label}: req/s ${a.rps.toFixed(0)} vs ${b.rps.toFixed(0)}, CPU µs/request ${a.cpu.toFixed(1)} vs ${b.cpu.toFixed(1)}\n`);
  }
} finally {
  for (const s of Object.values(servers)) await stopChild(s.child);
  await rm(dir, { recursive: true, force: true });
}

const lines = [
  `Run: \`node bench/sidecar/http-layer.mjs ${args.join(' ')}\` on ${new Date().toISOString()}, Node ${process.version}, wrk -c${connections} ${duration}s per run, ${rounds} rounds alternating, medians; glibc ${mallocMode === 'steady' ? 'MALLOC_STEADY' : 'defaults'}; load average before / after: ${loadBefore} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
  '',
  '| spans/request | mean body bytes | node:http req/s | tracekit http1 req/s | req/s ratio (per round) | node:http CPU µs/request | tracekit http1 CPU µs/request | CPU ratio |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.label} | ${r.meanBytes} | ${r.a.rps.toFixed(0)} | ${r.b.rps.toFixed(0)} | ${(r.b.rps / r.a.rps).toFixed(2)} (${r.ratios.map((x) => x.toFixed(2)).join(', ')}) | ${r.a.cpu.toFixed(1)} | ${r.b.cpu.toFixed(1)} | ${(r.b.cpu / r.a.cpu).toFixed(2)} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
