#!/usr/bin/env node
// The bare server of ingest.mjs (bench/sidecar/sink.mjs: node:http, reads the
// body, answers 200) twice, side by side: one with glibc's malloc defaults,
// one with MALLOC_STEADY (load.mjs: the top of the heap is not given back to
// the kernel, the mmap threshold does not move). Both go through the cells in
// ingest.mjs's order (1, 10, 100 spans, then the PHP export), wrk loading one
// then the other, alternating which goes first; per cell, medians of req/s,
// CPU per request (the process, from /proc) and minor page faults per request.
// A server whose heap top is trimmed faults in (and the kernel zeroes) fresh
// pages for the buffers it allocates next: that is what this shows, and why
// ingest.mjs starts every server with MALLOC_STEADY.
//
// Usage (under the benchmark lock):
//   flock /tmp/tracekit-bench.lock node bench/sidecar/bare-heap.mjs [--rounds 4] [--duration 3] [--connections 8] [--cells 1,10,100,php]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MALLOC_STEADY, childStarter, pickCells, sideBySide, withSteadyMalloc } from './load.mjs';
import { flagReader } from '../lib/args.mjs';
import { stopChild } from '../lib/process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const { flag, positive } = flagReader(args);
const rounds = positive('rounds', '4');
const duration = positive('duration', '3');
const connections = positive('connections', '8');
const cells = pickCells(flag('cells', '1,10,100,php'));

const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-bare-heap-'));
const sink = path.join(here, 'sink.mjs');
const servers = {
  defaults: await childStarter(process.env)([sink, '0']),
  steady: await childStarter(withSteadyMalloc(process.env))([sink, '0']),
};
let rows;
try {
  // No warm-up runs: what a server's heap went through before a cell is what this measures.
  rows = await sideBySide({ servers, cells, rounds, duration, connections, dir, warmUp: false });
} finally {
  for (const s of Object.values(servers)) await stopChild(s.child);
  await rm(dir, { recursive: true, force: true });
}

const lines = [
  `Run: \`node bench/sidecar/bare-heap.mjs ${args.join(' ')}\` on ${new Date().toISOString()}, Node ${process.version}, wrk -c${connections} ${duration}s per run, ${rounds} rounds per cell alternating, medians; MALLOC_STEADY = GLIBC_TUNABLES ${MALLOC_STEADY}; load average before / after: ${loadBefore} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
  '',
  '| cell | req/s glibc defaults / MALLOC_STEADY | CPU µs/request glibc defaults / MALLOC_STEADY | CPU ratio steady / defaults | minor page faults per request glibc defaults / MALLOC_STEADY |',
  '|---|---:|---:|---:|---:|',
  ...rows.map(({ label, results: { defaults: a, steady: b } }) => `| ${label} | ${a.rps.toFixed(0)} / ${b.rps.toFixed(0)} | ${a.cpu.toFixed(1)} / ${b.cpu.toFixed(1)} | ${(b.cpu / a.cpu).toFixed(2)} | ${a.faults.toFixed(2)} / ${b.faults.toFixed(2)} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
