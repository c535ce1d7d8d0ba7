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
import { childStarter, mallocOption, pickCells, sideBySide } from './load.mjs';
import { flagReader } from '../lib/args.mjs';
import { stopChild } from '../lib/process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const { flag, positive } = flagReader(args);
const rounds = positive('rounds', '5');
const duration = positive('duration', '3');
const connections = positive('connections', '8');
const cells = pickCells(flag('cells', '1,10,100,php'));
const malloc = mallocOption(flag);
const startChild = childStarter(malloc.env);
const start = (script) => startChild([path.join(here, script), '0']);

const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-http-layer-'));
const servers = { 'node:http': await start('sink.mjs'), 'tracekit http1': await start('http1-sink.mjs') };
let rows;
try {
  rows = await sideBySide({ servers, cells, rounds, duration, connections, dir, warmUp: true });
} finally {
  for (const s of Object.values(servers)) await stopChild(s.child);
  await rm(dir, { recursive: true, force: true });
}

const lines = [
  `Run: \`node bench/sidecar/http-layer.mjs ${args.join(' ')}\` on ${new Date().toISOString()}, Node ${process.version}, wrk -c${connections} ${duration}s per run, ${rounds} rounds alternating, medians; glibc ${malloc.mode === 'steady' ? 'MALLOC_STEADY' : 'defaults'}; load average before / after: ${loadBefore} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
  '',
  '| spans/request | mean body bytes | node:http req/s | tracekit http1 req/s | req/s ratio (per round) | node:http CPU µs/request | tracekit http1 CPU µs/request | CPU ratio |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ label, meanBytes, results: { 'node:http': a, 'tracekit http1': b } }) => {
    const ratios = b.runs.map((r, i) => r.rps / a.runs[i].rps);
    return `| ${label} | ${meanBytes} | ${a.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ${(b.rps / a.rps).toFixed(2)} (${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${a.cpu.toFixed(1)} | ${b.cpu.toFixed(1)} | ${(b.cpu / a.cpu).toFixed(2)} |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
