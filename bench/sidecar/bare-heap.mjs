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
import { MALLOC_STEADY, childStarter, cpuSeconds, minorFaults, pickCells, withSteadyMalloc, wrk as runWrk, writeBodies, writePostScript } from './load.mjs';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/stats.mjs';
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
const script = await writePostScript(dir);
const sink = path.join(here, 'sink.mjs');
const servers = {
  'glibc defaults': await childStarter(process.env)([sink, '0']),
  'MALLOC_STEADY': await childStarter(withSteadyMalloc(process.env))([sink, '0']),
};
const names = Object.keys(servers);
const rows = [];
try {
  for (const [index, cell] of cells.entries()) {
    const { prefix } = await writeBodies(path.join(dir, `body-${index}-`), cell.make);
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { child, port } = servers[name];
        const cpu0 = await cpuSeconds(child.pid);
        const faults0 = await minorFaults(child.pid);
        const run = await runWrk({ url: `http://127.0.0.1:${port}/v1/traces`, script, bodyPrefix: prefix, contentType: cell.contentType, connections, seconds: duration });
        if (run.non2xx > 0) throw new Error(`${run.non2xx} answers were not 200`);
        runs[name].push({
          rps: run.rps,
          cpu: (((await cpuSeconds(child.pid)) - cpu0) * 1e6) / run.requests,
          faults: ((await minorFaults(child.pid)) - faults0) / run.requests,
        });
      }
    }
    const summary = (list) => ({ rps: median(list.map((r) => r.rps)), cpu: median(list.map((r) => r.cpu)), faults: median(list.map((r) => r.faults)) });
    const [a, b] = names.map((n) => summary(runs[n]));
    rows.push({ label: cell.label, a, b });
    process.stderr.write(`${cell.label}: CPU µs/request ${a.cpu.toFixed(1)} vs ${b.cpu.toFixed(1)}, faults/request ${a.faults.toFixed(2)} vs ${b.faults.toFixed(2)}\n`);
  }
} finally {
  for (const s of Object.values(servers)) await stopChild(s.child);
  await rm(dir, { recursive: true, force: true });
}

const lines = [
  `Run: \`node bench/sidecar/bare-heap.mjs ${args.join(' ')}\` on ${new Date().toISOString()}, Node ${process.version}, wrk -c${connections} ${duration}s per run, ${rounds} rounds per cell alternating, medians; MALLOC_STEADY = GLIBC_TUNABLES ${MALLOC_STEADY}; load average before / after: ${loadBefore} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
  '',
  '| cell | req/s glibc defaults / MALLOC_STEADY | CPU µs/request glibc defaults / MALLOC_STEADY | CPU ratio steady / defaults | minor page faults per request glibc defaults / MALLOC_STEADY |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.label} | ${r.a.rps.toFixed(0)} / ${r.b.rps.toFixed(0)} | ${r.a.cpu.toFixed(1)} / ${r.b.cpu.toFixed(1)} | ${(r.b.cpu / r.a.cpu).toFixed(2)} | ${r.a.faults.toFixed(2)} / ${r.b.faults.toFixed(2)} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
