// Process helpers shared by the bench/ scripts: start a Node program that
// announces itself with a JSON `"msg":"listening"` line on stdout (the
// sidecar's pino line, bench/sidecar/sink.mjs), start the real sidecar in
// front of a collector stand-in, stop them, and read the CPU time processes
// have used.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Spawns `node ARGV…` and returns the child at once (so a caller can track it
 * for clean-up before it is ready) with `ready`: a promise of its parsed
 * listening line, rejected if it exits first. stderr is inherited.
 */
export function spawnListening(argv, { env = process.env } = {}) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.msg === 'listening') resolve(msg);
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code} before listening`)));
  });
  return { child, ready };
}

/** SIGTERM, then waits for the exit; nothing to do for a child that has already exited. */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** The pids of a process's children (a php-fpm master's workers); none when it has none. */
export function childPids(pid) {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' }).split('\n').map((x) => x.trim()).filter(Boolean).map(Number);
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

/**
 * On-CPU nanoseconds used so far by each thread of a process, by thread id,
 * from /proc/PID/task/TID/schedstat (nanoseconds, where /proc/PID/stat counts
 * 10 ms ticks). A thread that ends between the listing and its read is left
 * out; a process that has exited gives an empty map.
 */
export function threadCpuNanos(pid) {
  const threads = new Map();
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads; // exited
  }
  for (const task of tasks) {
    try {
      threads.set(task, Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // thread exited
    }
  }
  return threads;
}

/**
 * On-CPU nanoseconds used so far by every thread of these processes
 * (threadCpuNanos). A process or thread that has exited counts what was read
 * before it went.
 */
export function cpuNanos(pids) {
  let total = 0;
  for (const pid of pids) for (const nanos of threadCpuNanos(pid).values()) total += nanos;
  return total;
}

/** Resolves once these processes used under 1 ms of CPU in 100 ms (at most 5 s). */
export async function waitIdle(pids) {
  for (let waited = 0, last = cpuNanos(pids); waited < 5000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = cpuNanos(pids);
    if (now - last < 1e6) return;
    last = now;
  }
}

/**
 * The sidecar answers at once and forwards later (a batch seals at 8,192
 * spans or after 1 s): `drained()` of startSidecar() resolves once it holds nothing (queue_bytes 0, read
 * from the text `metrics()` returns; at most 5 s) and has then been idle, so
 * that the work it defers is counted with the run that caused it.
 */
async function waitSidecarDrained(pid, metrics) {
  for (let waited = 0; waited < 5000; waited += 50) {
    if (/^tracekit_sidecar_queue_bytes 0$/m.test(await metrics())) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await waitIdle([pid]);
}

/**
 * The real sidecar (bin/tracekit.js, so `npm run build` first) on
 * DIR/otlp.sock, and on a loopback TCP port too with `tcp: true`. It forwards
 * to `upstream` when given (e.g. `file:…` to read the spans back), else to
 * bench/sidecar/sink.mjs, started here: a bare HTTP server that reads each
 * batch and answers 200, standing in for the collector. A deployment
 * forwards protobuf over HTTP like this; a `file:` upstream makes the sidecar
 * re-encode every batch as OTLP/JSON, work a deployed sidecar never does, so
 * a bench that counts the sidecar's CPU must not use one.
 */
export async function startSidecar({ dir, tcp = false, upstream = null }) {
  let sink = null;
  const stops = [];
  const stop = async () => {
    for (const child of stops.reverse()) await stopChild(child);
  };
  try {
    if (upstream === null) {
      sink = spawnListening([path.join(root, 'bench', 'sidecar', 'sink.mjs'), '0']);
      stops.push(sink.child);
      upstream = `http://127.0.0.1:${(await sink.ready).port}`;
    }
    const socket = path.join(dir, 'otlp.sock');
    const sidecar = spawnListening([path.join(root, 'bin', 'tracekit.js'), 'sidecar', ...(tcp ? ['--listen', '127.0.0.1:0'] : ['--no-listen']), '--socket', socket, '--upstream', upstream]);
    stops.push(sidecar.child);
    const listening = await sidecar.ready;
    const metrics = () =>
      new Promise((resolve, reject) => {
        http
          .get({ socketPath: socket, path: '/metrics' }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
    const pid = sidecar.child.pid;
    return { socket, pid, port: tcp ? Number(String(listening.tcp).split(':').pop()) : null, metrics, drained: () => waitSidecarDrained(pid, metrics), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
