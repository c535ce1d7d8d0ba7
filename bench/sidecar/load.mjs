// What the sidecar benchmarks (ingest.mjs, ab.mjs) share: the cells of
// bodies they post, wrk driving them, and the readings taken around a run
// (a process's CPU, the sidecar's /metrics). Run after `npm run build`.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dbSpansJson, phpExportJson } from './bodies.mjs';
import { spawnListening, threadCpuNanos } from '../lib/process.mjs';
import { median } from '../lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { jsonToProtobuf, SIGNALS } = await import(path.join(root, 'dist/src/otlp/index.js'));

/** Varied bodies per cell; wrk posts them in turn. */
export const BODIES_PER_CELL = 64;

/** One OTLP/protobuf export request of `spans` DB spans (bodies.mjs), transcoded once here. */
export function protobufBody(spans, seed) {
  return Buffer.from(jsonToProtobuf(SIGNALS.traces.requestType, dbSpansJson(spans, seed)).bytes);
}

/**
 * The cells: OTLP/protobuf bodies of each count in `spanCounts`, then (with
 * `php`) OTLP/JSON bodies shaped like the PHP bootstrap's export (a SERVER
 * root span + 5 DB spans).
 */
export function cells(spanCounts, php) {
  return [
    ...spanCounts.map((spans) => ({ name: `pb${spans}`, spans, label: `${spans} (protobuf)`, contentType: 'application/x-protobuf', make: (i) => protobufBody(spans, spans * 1000 + i) })),
    ...(php ? [{ name: 'php', spans: 6, label: '6, PHP export (JSON)', contentType: 'application/json', make: (i) => Buffer.from(phpExportJson(5, 500_000 + i)) }] : []),
  ];
}

/** The cells a --cells list names ("1,10,100,php"): protobuf bodies of that many spans; php, the OTLP/JSON export. */
export function pickCells(list) {
  const wanted = list.split(',');
  return cells([1, 10, 100].filter((spans) => wanted.includes(String(spans))), wanted.includes('php'));
}

/**
 * A start(argv) for Node programs that announce themselves (spawnListening):
 * resolves with the child and its port; every child still running is killed
 * when this process exits.
 */
export function childStarter(env = process.env) {
  const children = new Set();
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
  return async (argv) => {
    const { child, ready } = spawnListening(argv, { env });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const msg = await ready;
    return { child, port: msg.port ?? Number(String(msg.tcp).split(':').pop()) };
  };
}

/** Writes BODIES_PER_CELL bodies made by make(i) as PREFIX0.pb …; returns PREFIX and their mean size. */
export async function writeBodies(prefix, make) {
  let total = 0;
  for (let i = 0; i < BODIES_PER_CELL; i++) {
    const body = make(i);
    total += body.length;
    await writeFile(`${prefix}${i}.pb`, body);
  }
  return { prefix, meanBytes: Math.round(total / BODIES_PER_CELL) };
}

/** Writes wrk's script (POSTs of the bodies named by BODY_PREFIX, in turn) into dir; returns its path. */
export async function writePostScript(dir) {
  const script = path.join(dir, 'post.lua');
  await writeFile(
    script,
    [
      'local prefix = os.getenv("BODY_PREFIX")',
      'local count = tonumber(os.getenv("BODY_COUNT"))',
      'local bodies = {}',
      'for i = 1, count do',
      '  local f = io.open(prefix .. (i - 1) .. ".pb", "rb")',
      '  bodies[i] = f:read("*a")',
      '  f:close()',
      'end',
      'local headers = { ["Content-Type"] = os.getenv("CONTENT_TYPE") }',
      'local n = 0',
      'request = function()',
      '  n = n % count + 1',
      '  return wrk.format("POST", nil, headers, bodies[n])',
      'end',
      '',
    ].join('\n'),
  );
  return script;
}

/**
 * Runs wrk (asynchronously, so samplers keep running meanwhile) posting the
 * bodies at bodyPrefix to url; returns requests/s, p50/p99 in ms, non-2xx
 * answers, requests completed and wrk's own CPU seconds (user + system, from
 * the shell's `times` after wrk exits: wrk shares the machine's cores with the
 * servers it loads, so what it spends bounds what they can reach).
 */
export async function wrk({ url, script, bodyPrefix, contentType, connections, seconds }) {
  const wrkArgs = ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, url];
  const child = spawn('sh', ['-c', 'wrk "$@"; code=$?; times >&2; exit $code', 'sh', ...wrkArgs], {
    env: { ...process.env, BODY_PREFIX: bodyPrefix, BODY_COUNT: String(BODIES_PER_CELL), CONTENT_TYPE: contentType },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise((r) => child.once('close', r));
  if (code !== 0) throw new Error(`wrk failed: ${err}`);
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const ms = (re) => {
    const m = re.exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  // `times` prints the shell's user/system times, then its children's (wrk's): "0m1.230000s 0m0.450000s".
  const times = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err);
  return {
    cpuSeconds: times ? Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]) : NaN,
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
    p99: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
    non2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
    requests: num(/(\d+) requests in/),
  };
}

/**
 * glibc tunables that keep a process's heap steady: the top of the heap is not
 * given back to the kernel (so freed buffers are not faulted in, zeroed, again
 * on the next allocation) and the mmap threshold does not move with the sizes
 * freed. ingest.mjs starts every server with them (bench/sidecar/bare-heap.mjs
 * measures why).
 */
export const MALLOC_STEADY = 'glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=4194304';

/** `env` with MALLOC_STEADY added to any GLIBC_TUNABLES it already has. */
export function withSteadyMalloc(env) {
  return { ...env, GLIBC_TUNABLES: [env.GLIBC_TUNABLES, MALLOC_STEADY].filter(Boolean).join(':') };
}

/**
 * The benchmarks' --malloc steady|default option (steady unless given), read
 * with a flagReader's `flag`: the mode, and the environment its servers start
 * with (MALLOC_STEADY added, or this process's as it is).
 */
export function mallocOption(flag) {
  const mode = flag('malloc', 'steady');
  if (mode !== 'steady' && mode !== 'default') throw new Error(`--malloc expects steady or default, found '${mode}'`);
  return { mode, env: mode === 'steady' ? withSteadyMalloc(process.env) : process.env };
}

/** user+system CPU seconds of a process (all its threads: zlib work runs on the libuv pool). */
export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Minor page faults of a process so far (all its threads). */
export async function minorFaults(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

/**
 * Two or more servers that only answer (http-layer.mjs, bare-heap.mjs) side by
 * side: per cell, after an unmeasured 1 s run of each when `warmUp`, `rounds`
 * rounds of wrk loading each in turn, the order reversed every other round so
 * that drift on a shared machine hits all. Returns per cell its label, mean
 * body size and `results`: per server name, the runs and the medians of req/s, CPU per
 * request (µs, the process from /proc) and minor page faults per request.
 */
export async function sideBySide({ servers, cells, rounds, duration, connections, dir, warmUp }) {
  const script = await writePostScript(dir);
  const names = Object.keys(servers);
  const rows = [];
  for (const [index, cell] of cells.entries()) {
    const { prefix, meanBytes } = await writeBodies(path.join(dir, `body-${index}-`), cell.make);
    const load = async ({ port }, seconds) => {
      const run = await wrk({ url: `http://127.0.0.1:${port}/v1/traces`, script, bodyPrefix: prefix, contentType: cell.contentType, connections, seconds });
      if (run.non2xx > 0) throw new Error(`${run.non2xx} answers were not 200`);
      return run;
    };
    if (warmUp) for (const name of names) await load(servers[name], 1);
    const runs = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { pid } = servers[name].child;
        const cpu0 = await cpuSeconds(pid);
        const faults0 = await minorFaults(pid);
        const run = await load(servers[name], duration);
        runs[name].push({ rps: run.rps, cpu: (((await cpuSeconds(pid)) - cpu0) * 1e6) / run.requests, faults: ((await minorFaults(pid)) - faults0) / run.requests });
      }
    }
    const medians = (list) => ({ runs: list, rps: median(list.map((r) => r.rps)), cpu: median(list.map((r) => r.cpu)), faults: median(list.map((r) => r.faults)) });
    const results = Object.fromEntries(names.map((name) => [name, medians(runs[name])]));
    rows.push({ label: cell.label, meanBytes, results });
    process.stderr.write(`${cell.label}: ${names.map((name) => `${name} ${results[name].rps.toFixed(0)} req/s, ${results[name].cpu.toFixed(1)} µs/request`).join('; ')}\n`);
  }
  return rows;
}

/**
 * CPU seconds of each thread of a process so far, by thread id
 * (threadCpuNanos). A server that runs on one thread (the bare server, the
 * sidecar's receiving thread) is as fast as that thread: its CPU per request,
 * not the process's (which adds V8's GC helpers and the libuv pool), is what
 * one thread's time per request bounds.
 */
export function threadCpuSeconds(pid) {
  return new Map([...threadCpuNanos(pid)].map(([tid, nanos]) => [tid, nanos / 1e9]));
}

/** CPU seconds of the thread that spent the most between two threadCpuSeconds readings. */
export function busiestThreadSeconds(before, after) {
  let most = 0;
  for (const [tid, seconds] of after) most = Math.max(most, seconds - (before.get(tid) ?? 0));
  return most;
}

/** A sidecar metric from its /metrics, summed over all label sets. */
export async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/**
 * Waits until the sidecar on `port` has forwarded everything it accepted (its
 * last batch goes out on the batch timeout), polling /metrics; false if that
 * did not happen within timeoutMs.
 */
export async function waitForwarded(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await metric(port, 'tracekit_sidecar_items_forwarded_total')) >= (await metric(port, 'tracekit_sidecar_items_accepted_total'))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
