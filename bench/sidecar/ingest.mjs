#!/usr/bin/env node
// Sidecar ingest benchmark, run after `npm run build`:
//
//   node bench/sidecar/ingest.mjs [--duration 3] [--rounds 3] [--outage-seconds 15] [--spans 1,10,100]
//                                 [--connections 1,8,32] [--compression gzip|none] [--gzip-level N] [--no-php] [--quick]
//                                 [--floor] [--floor-http node|http1] [--checking-floor] [--bare-old-space MiB] [--malloc steady|default]
//
// 1. Ingest: wrk POSTs the same OTLP/protobuf bodies (and, last, OTLP/JSON
//    bodies shaped like the PHP bootstrap's export) to (a) a bare Node HTTP
//    server that only reads the body and answers 200 and (b) the sidecar,
//    alternately, at several body sizes and concurrencies. Reports
//    requests/s, spans/s, ack latency p50/p99, the ratio sidecar/bare, and
//    upstream requests per span (the sidecar forwards to another bare server).
// 2. Outage: the upstream is down (connection refused) while wrk keeps
//    loading the sidecar; samples queue bytes (/metrics) and RSS against
//    --max-queue-bytes. --outage-seconds 60 is the full goal from issue 3.
// --floor adds (c) bench/sidecar/relay-floor.mjs to every round: not tracekit,
// the least a relay does (keep the body, forward batches; no validation,
// transcoding, bound or spool), so that the sidecar's ratio can be read
// against what relaying alone allows on this machine; on node:http, or with
// --floor-http http1 on the sidecar's own HTTP/1.1 server, which costs less
// per request (relay-floor.mjs `http1`). --checking-floor adds
// (d) the same relay on the sidecar's HTTP/1.1 server checking every body with
// the sidecar's own checkers before answering (relay-floor.mjs `check`): what
// a relay that validates before it accepts reaches with those checkers.
// --bare-old-space MiB starts the bare server with V8's
// --initial-old-space-size=MiB, the floor the sidecar's thread starts with
// (src/sidecar/thread.ts). Session 8 added it taking the bare server's slow
// runs for V8's full GCs after idle time; they were glibc's (--malloc).
// --malloc steady (the default since session 9) starts every server with
// GLIBC_TUNABLES that stop glibc from giving the top of its heap back to the
// kernel and from moving its mmap threshold (MALLOC_STEADY, load.mjs). Without
// them a server's cost can depend on its heap's history: the bare server,
// whose every socket read allocates a zero-filled 64 KiB buffer and frees it
// soon after, then took ~6 page faults per 26.5 KB request and ~47 µs
// instead of ~22 µs after the 1- and 10-span cells, while the sidecar, which
// keeps its buffers longer, ran at the same cost either way
// (bench/sidecar/bare-heap.mjs). --malloc default leaves glibc's defaults (the
// runs before session 9).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MALLOC_STEADY, busiestThreadSeconds, cells as makeCells, cpuSeconds, metric, protobufBody, threadCpuSeconds, waitForwarded, mallocOption, wrk as runWrk, writeBodies, writePostScript } from './load.mjs';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/stats.mjs';
import { spawnListening, stopChild } from '../lib/process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const args = process.argv.slice(2);
const { flag } = flagReader(args);
const quick = args.includes('--quick');
// --only ingest | --only outage runs one part.
const only = flag('only', 'all');
const duration = Number(flag('duration', quick ? 2 : 3));
const rounds = Number(flag('rounds', quick ? 1 : 3));
const outageSeconds = Number(flag('outage-seconds', quick ? 5 : 15));
const maxQueueBytes = 32 * 1024 * 1024;
// --compression gzip|none sets the sidecar's upstream compression (TRACEKIT_UPSTREAM_COMPRESSION; its
// default is none); --gzip-level N its gzip level (TRACEKIT_UPSTREAM_GZIP_LEVEL).
const gzipLevel = flag('gzip-level', undefined);
const compression = flag('compression', undefined);
const list = (name, fallback) => (flag(name, undefined) ?? fallback).split(',').map(Number);
const spanCounts = list('spans', quick ? '10' : '1,10,100');
const concurrencies = list('connections', quick ? '8' : '1,8,32');
// The PHP bootstrap's export (OTLP/JSON: a SERVER root span + 5 DB spans, bench/sidecar/bodies.mjs); --no-php leaves it out.
const phpCell = !args.includes('--no-php');
const floor = args.includes('--floor');
const checkingFloor = args.includes('--checking-floor');
const floorHttp = flag('floor-http', 'node');
if (floorHttp !== 'node' && floorHttp !== 'http1') throw new Error(`--floor-http expects node or http1, found '${floorHttp}'`);
const cells = makeCells(spanCounts, phpCell);

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const malloc = mallocOption(flag);

async function start(argv) {
  const { child, ready } = spawnListening(argv, {
    env: { ...malloc.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', TRACEKIT_UPSTREAM: '', ...(gzipLevel !== undefined ? { TRACEKIT_UPSTREAM_GZIP_LEVEL: gzipLevel } : {}), ...(compression !== undefined ? { TRACEKIT_UPSTREAM_COMPRESSION: compression } : {}) },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const msg = await ready;
  return { child, port: msg.port ?? Number(String(msg.tcp).split(':').pop()) };
}

async function stop(p) {
  if (p) await stopChild(p.child);
}

/** wrk posting the bodies at bodyPrefix (written by writeBodies) to url. */
function wrk(url, bodyPrefix, connections, seconds, contentType = 'application/x-protobuf') {
  return runWrk({ url, script, bodyPrefix, contentType, connections, seconds });
}

async function getJson(url) {
  return JSON.parse(await (await fetch(url)).text());
}

function rssMiB(pid) {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024);
}

const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-bench-'));
const script = await writePostScript(dir);
const sinkScript = path.join(root, 'bench/sidecar/sink.mjs');
const tracekit = path.join(root, 'bin/tracekit.js');

const bareOldSpace = flag('bare-old-space', undefined);
if (bareOldSpace !== undefined && !(Number.isInteger(Number(bareOldSpace)) && Number(bareOldSpace) > 0)) throw new Error(`--bare-old-space expects a size in MiB (a positive integer), found '${bareOldSpace}'`);
const baseline = await start([...(bareOldSpace === undefined ? [] : [`--initial-old-space-size=${Number(bareOldSpace)}`]), sinkScript, '0']);
const upstream = await start([sinkScript, '0']);
// The relay floor forwards to its own upstream, so that the sidecar's upstream counts stay its own.
const floorUpstream = floor || checkingFloor ? await start([sinkScript, '0']) : null;
const relayFloor = (spans, mode = 'plain') => start([path.join(root, 'bench/sidecar/relay-floor.mjs'), '0', `http://127.0.0.1:${floorUpstream.port}`, String(Math.ceil(5000 / spans)), mode]);
const sidecar = await start([tracekit, 'sidecar', '--listen', '127.0.0.1:0', '--no-socket', '--upstream', `http://127.0.0.1:${upstream.port}`, '--max-queue-bytes', String(maxQueueBytes), '--log-level', 'warn']);

const rows = [];
let ingestPeakRss = null;
try {
  for (const cell of only === 'outage' ? [] : cells) {
    const { spans, label, contentType } = cell;
    const { prefix: file, meanBytes } = await writeBodies(path.join(dir, `body-${cell.name}-`), cell.make);
    // Batches like the sidecar's: one upstream request per 5,000 spans; so one relay per body size.
    const relay = floor ? await relayFloor(spans, floorHttp === 'http1' ? 'http1' : 'plain') : null;
    const checking = checkingFloor ? await relayFloor(spans, 'check') : null;
    for (const c of concurrencies) {
      const runs = { bare: [], sidecar: [], relay: [], checking: [] };
      const before = { up: (await getJson(`http://127.0.0.1:${upstream.port}/count`)).requests, accepted: await metric(sidecar.port, 'tracekit_sidecar_items_accepted_total') };
      for (let round = 0; round < rounds; round++) {
        // Alternate which goes first so drift on a shared machine hits both.
        const order = ['bare', 'sidecar', ...(floor ? ['relay'] : []), ...(checkingFloor ? ['checking'] : [])];
        if (round % 2 === 1) order.reverse();
        for (const which of order) {
          const target = { bare: baseline, sidecar, relay, checking }[which];
          // Where the run's forwarded bytes go (a bare server on this machine too), whose CPU the run also costs.
          const forwardTo = { bare: null, sidecar: upstream, relay: floorUpstream, checking: floorUpstream }[which];
          const cpu0 = await cpuSeconds(target.child.pid);
          const threads0 = threadCpuSeconds(target.child.pid);
          const up0 = forwardTo ? await cpuSeconds(forwardTo.child.pid) : 0;
          const run = await wrk(`http://127.0.0.1:${target.port}/v1/traces`, file, c, duration, contentType);
          run.cpuMicrosPerRequest = (((await cpuSeconds(target.child.pid)) - cpu0) * 1e6) / run.requests;
          run.threadMicrosPerRequest = (busiestThreadSeconds(threads0, threadCpuSeconds(target.child.pid)) * 1e6) / run.requests;
          run.upstreamMicrosPerRequest = forwardTo ? (((await cpuSeconds(forwardTo.child.pid)) - up0) * 1e6) / run.requests : 0;
          run.wrkMicrosPerRequest = (run.cpuSeconds * 1e6) / run.requests;
          runs[which].push(run);
        }
      }
      // Let the last batch go out (batch timeout 1 s) before counting upstream requests.
      const accepted = (await metric(sidecar.port, 'tracekit_sidecar_items_accepted_total')) - before.accepted;
      await waitForwarded(sidecar.port);
      const up = (await getJson(`http://127.0.0.1:${upstream.port}/count`)).requests - before.up;
      const med = (list, key) => median(list.map((x) => x[key]));
      const summary = (list) => ({
        rps: med(list, 'rps'), p50: med(list, 'p50'), p99: med(list, 'p99'), cpu: med(list, 'cpuMicrosPerRequest'), thread: med(list, 'threadMicrosPerRequest'),
        wrkCpu: med(list, 'wrkMicrosPerRequest'), upstreamCpu: med(list, 'upstreamMicrosPerRequest'),
      });
      const ratios = runs.sidecar.map((r, i) => r.rps / runs.bare[i].rps).sort((a, b) => a - b);
      const relayRatios = runs.relay.map((r, i) => r.rps / runs.bare[i].rps);
      const checkingRatios = runs.checking.map((r, i) => r.rps / runs.bare[i].rps);
      rows.push({
        spans, label, bodyBytes: meanBytes, c, bare: summary(runs.bare), sidecar: summary(runs.sidecar), ratio: median(ratios), ratios, upstreamRequests: up, spansAccepted: accepted,
        ...(floor ? { relay: summary(runs.relay), relayRatio: median(relayRatios) } : {}),
        ...(checkingFloor ? { checking: summary(runs.checking), checkingRatio: median(checkingRatios) } : {}),
      });
      const r = rows.at(-1);
      process.stderr.write(`${label} c=${c}: bare ${r.bare.rps.toFixed(0)} rps, sidecar ${r.sidecar.rps.toFixed(0)} rps, ratios ${ratios.map((x) => x.toFixed(2)).join(' ')}${floor ? `; relay floor ${r.relay.rps.toFixed(0)} rps, ratio ${r.relayRatio.toFixed(2)}, CPU µs/request bare/sidecar/floor ${r.bare.cpu.toFixed(0)}/${r.sidecar.cpu.toFixed(0)}/${r.relay.cpu.toFixed(0)}` : ''}${checkingFloor ? `; checking floor ${r.checking.rps.toFixed(0)} rps, ratio ${r.checkingRatio.toFixed(2)}, CPU µs/request ${r.checking.cpu.toFixed(0)}` : ''}\n`);
    }
    await stop(relay);
    await stop(checking);
  }
} finally {
  // The sidecar's peak RSS over the ingest cells (VmHWM), for sizing a host: the queue bound is on data, not the process.
  ingestPeakRss = await readFile(`/proc/${sidecar.child.pid}/status`, 'utf8').then((t) => Number(/VmHWM:\s+(\d+)/.exec(t)?.[1] ?? 0) / 1024, () => null);
  await stop(sidecar);
  await stop(floorUpstream);
}

// -- outage ------------------------------------------------------------------
let outageLine = null;
if (only !== 'ingest') {
  const deadPort = upstream.port;
  await stop(upstream);
  const spoolDir = path.join(dir, 'spool');
  const outageQueue = 16 * 1024 * 1024;
  const outageSidecar = await start([
    tracekit, 'sidecar', '--listen', '127.0.0.1:0', '--no-socket', '--upstream', `http://127.0.0.1:${deadPort}`,
    '--max-queue-bytes', String(outageQueue), '--spool-dir', spoolDir, '--max-spool-bytes', '256MiB', '--log-level', 'error',
  ]);
  const { prefix: file100 } = await writeBodies(path.join(dir, 'body-outage-'), (i) => protobufBody(10, 10 * 1000 + i));
  let maxQueue = 0;
  let maxRss = 0;
  let maxSpool = 0;
  const sampler = setInterval(async () => {
    try {
      maxQueue = Math.max(maxQueue, await metric(outageSidecar.port, 'tracekit_sidecar_queue_bytes'));
      maxSpool = Math.max(maxSpool, await metric(outageSidecar.port, 'tracekit_sidecar_spool_bytes'));
      maxRss = Math.max(maxRss, await rssMiB(outageSidecar.child.pid));
    } catch {
      // the sidecar is busy; the next sample will do
    }
  }, 250);
  const outage = await wrk(`http://127.0.0.1:${outageSidecar.port}/v1/traces`, file100, 8, outageSeconds);
  clearInterval(sampler);
  let acceptedDuringOutage = await metric(outageSidecar.port, 'tracekit_sidecar_items_accepted_total');
  // Upstream back: everything accepted must arrive.
  const back = await start([sinkScript, String(deadPort)]);
  const t0 = Date.now();
  let forwarded = 0;
  while (Date.now() - t0 < 120_000) {
    forwarded = await metric(outageSidecar.port, 'tracekit_sidecar_items_forwarded_total');
    acceptedDuringOutage = await metric(outageSidecar.port, 'tracekit_sidecar_items_accepted_total');
    if (forwarded >= acceptedDuringOutage) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const drainSeconds = (Date.now() - t0) / 1000;
  const dropped = await metric(outageSidecar.port, 'tracekit_sidecar_items_dropped_total');
  await stop(outageSidecar);
  await stop(back);
  outageLine = (
    `Outage (${outageSeconds}s, upstream refusing connections, 8 connections, 10 spans/request, --max-queue-bytes ${outageQueue}, spool 256 MiB): ` +
      `${outage.requests} requests (${outage.non2xx} non-200), ${acceptedDuringOutage} spans accepted; max queue_bytes ${maxQueue} (bound ${outageQueue}, ${maxQueue <= outageQueue ? 'within' : 'OVER'}); ` +
      `max spool ${(maxSpool / 1048576).toFixed(1)} MiB; max RSS ${maxRss.toFixed(0)} MiB; after the upstream returned, ${forwarded}/${acceptedDuringOutage} forwarded in ${drainSeconds.toFixed(1)}s, ${dropped} dropped.`
  );
}
await stop(upstream);
await stop(baseline);
await rm(dir, { recursive: true, force: true });

// -- report ------------------------------------------------------------------
const lines = [];
lines.push(`Run: \`node bench/sidecar/ingest.mjs${args.length ? ` ${args.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, wrk ${duration}s per run, ${rounds} rounds per cell alternating ${['bare', 'sidecar', ...(floor ? [`relay floor (${floorHttp === 'http1' ? "on the sidecar's HTTP/1.1 server" : 'on node:http'})`] : []), ...(checkingFloor ? ['checking floor'] : [])].join('/')} order, medians (ratio = median of the per-round ratios), same machine; sidecar upstream compression ${compression ?? 'default (none)'}${gzipLevel !== undefined ? `, gzip level ${gzipLevel}` : ''}; bare server ${bareOldSpace === undefined ? 'with V8 defaults' : `with --initial-old-space-size=${bareOldSpace}`}; every server ${malloc.mode === 'steady' ? `with GLIBC_TUNABLES=${MALLOC_STEADY}` : "with glibc's malloc defaults"}.`);
lines.push(`Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}); load average before / after: ${loadBefore} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
lines.push('');
lines.push(`| spans/request | mean body bytes | connections | bare req/s | sidecar req/s | ratio | sidecar spans/s | bare p50 / p99 ms | sidecar p50 / p99 ms | CPU µs/request bare / sidecar | upstream requests per 5,000 spans |${floor ? ' relay floor req/s | floor ratio | floor CPU µs/request |' : ''}${checkingFloor ? ' checking floor req/s | checking floor ratio | checking floor CPU µs/request |' : ''}`);
lines.push(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${floor ? '---:|---:|---:|' : ''}${checkingFloor ? '---:|---:|---:|' : ''}`);
for (const r of rows) {
  const perFiveK = r.spansAccepted > 0 ? ((r.upstreamRequests / r.spansAccepted) * 5000).toFixed(2) : 'n/a';
  lines.push(
    `| ${r.label} | ${r.bodyBytes} | ${r.c} | ${r.bare.rps.toFixed(0)} | ${r.sidecar.rps.toFixed(0)} | ${r.ratio.toFixed(2)} (${r.ratios.map((x) => x.toFixed(2)).join(', ')}) | ${(r.sidecar.rps * r.spans).toFixed(0)} | ${r.bare.p50.toFixed(2)} / ${r.bare.p99.toFixed(2)} | ${r.sidecar.p50.toFixed(2)} / ${r.sidecar.p99.toFixed(2)} | ${r.bare.cpu.toFixed(0)} / ${r.sidecar.cpu.toFixed(0)} | ${perFiveK} |${floor ? ` ${r.relay.rps.toFixed(0)} | ${r.relayRatio.toFixed(2)} | ${r.relay.cpu.toFixed(0)} |` : ''}${checkingFloor ? ` ${r.checking.rps.toFixed(0)} | ${r.checkingRatio.toFixed(2)} | ${r.checking.cpu.toFixed(0)} |` : ''}`,
  );
}
lines.push('');
if (rows.length > 0) {
  // What 0.8× the bare server's rate leaves a relay on this machine. At that rate the cores carry wrk, the
  // upstream stand-in (a bare server here, another host in production) and the relay, each costing per
  // request about what it cost in the sidecar's runs; one thread can spend at most 1 s per second.
  const cores = cpus().length;
  lines.push(`CPU budget at 0.8× the bare server's requests/s (${cores} cores; medians of the cell's runs; µs per request). The machine budget is ${cores} cores' time at that rate less wrk's and the upstream stand-in's CPU per request in the sidecar's runs; the thread budget is one thread's time at that rate. A relay meets the goal only within both: its process's CPU within the machine budget, its busiest thread's (the one that receives) within the thread budget. Cores busy = (wrk + server + upstream CPU) / wall time, from the medians.`);
  lines.push('');
  lines.push(`| spans/request | connections | wrk µs (bare runs / sidecar runs) | upstream µs (sidecar runs) | cores busy bare / sidecar | machine budget | thread budget | bare server's busiest thread µs | sidecar µs: process / busiest thread |${checkingFloor ? ' checking floor µs: process / busiest thread |' : ''}`);
  lines.push(`|---:|---:|---:|---:|---:|---:|---:|---:|---:|${checkingFloor ? '---:|' : ''}`);
  for (const r of rows) {
    const rate = 0.8 * r.bare.rps;
    const machine = (cores * 1e6) / rate - r.sidecar.wrkCpu - r.sidecar.upstreamCpu;
    const busy = (s) => ((s.wrkCpu + s.cpu + s.upstreamCpu) * s.rps) / 1e6;
    lines.push(
      `| ${r.label} | ${r.c} | ${r.bare.wrkCpu.toFixed(0)} / ${r.sidecar.wrkCpu.toFixed(0)} | ${r.sidecar.upstreamCpu.toFixed(0)} | ${busy(r.bare).toFixed(2)} / ${busy(r.sidecar).toFixed(2)} | ${machine.toFixed(0)} | ${(1e6 / rate).toFixed(0)} | ${r.bare.thread.toFixed(0)} | ${r.sidecar.cpu.toFixed(0)} / ${r.sidecar.thread.toFixed(0)} |${checkingFloor ? ` ${r.checking.cpu.toFixed(0)} / ${r.checking.thread.toFixed(0)} |` : ''}`,
    );
  }
  lines.push('');
}
if (rows.length > 0 && ingestPeakRss !== null) lines.push(`Sidecar peak RSS over the ingest cells (VmHWM, --max-queue-bytes ${maxQueueBytes}): ${ingestPeakRss.toFixed(0)} MiB.`, '');
if (outageLine) lines.push(outageLine);
process.stdout.write(`${lines.join('\n')}\n`);
