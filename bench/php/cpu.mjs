#!/usr/bin/env node
// CPU time one php-fpm worker spends per request, per configuration: a
// development tool for the bootstrap's cost, lighter than run.mjs. Each
// configuration gets its own php-fpm pool with ONE static worker behind its
// own nginx; wrk sends sequential requests (-t1 -c1) for a few seconds, and
// the worker's on-CPU time is read from /proc/PID/schedstat (nanoseconds,
// unlike the 10 ms ticks of /proc/PID/stat). Rounds alternate the order;
// medians are printed. No MariaDB: about.php only.
//   node bench/php/cpu.mjs [--seconds N] [--rounds N] [--page /about.php]
//                          [--prepend NAME=FILE ...]   (more prepends, traced to the same sidecar)
// Run after `npm run build`, under the shared lock:
//   flock /tmp/tracekit-bench.lock node bench/php/cpu.mjs
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childPids, cpuNanos, startSidecar } from '../lib/process.mjs';
import { median } from '../lib/stats.mjs';
import { importTestHelpers } from '../lib/test-helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const SECONDS = Number(option('--seconds', 3));
const ROUNDS = Number(option('--rounds', 3));
const PAGE = option('--page', '/about.php');
const extra = [];
args.forEach((a, i) => {
  if (a === '--prepend') {
    const [name, file] = args[i + 1].split('=');
    extra.push({ name, file: path.resolve(file) });
  }
});
const execFileAsync = promisify(execFile);

const { 'php-fpm': { startPhpFpm }, nginx: { startNginx } } = await importTestHelpers('php-fpm', 'nginx');
const { planPhpInit, writePhpInit } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'php', 'init.js')).href);
const appDir = path.join(root, 'examples', 'legacy-app');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tk-php-cpu-'));
const started = [];
try {
  // Forwarding to a collector stand-in over HTTP, as deployed (see bench/lib/process.mjs).
  const sidecar = await startSidecar({ dir: tmp });
  started.push(() => sidecar.stop());
  await writePhpInit(planPhpInit({ outDir: path.join(tmp, 'bootstrap'), cwd: tmp, serviceName: 'bench', endpoint: `unix://${sidecar.socket}` }));
  const prepend = path.join(tmp, 'bootstrap', 'tracekit-prepend.php');
  const toSidecar = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${sidecar.socket}` };
  const configs = [
    { name: 'off', prepend: null, env: {} },
    { name: 'disabled', prepend, env: { TRACEKIT_DISABLED: '1' } },
    { name: 'not sampled', prepend, env: { OTEL_TRACES_SAMPLER: 'always_off' } },
    { name: 'sidecar', prepend, env: {} },
    ...extra.map((e) => ({ name: e.name, prepend: e.file, env: toSidecar })),
  ];
  for (const c of configs) {
    c.fpm = await startPhpFpm({ prepend: c.prepend, env: c.env, workers: 1 });
    started.push(() => c.fpm.stop());
    c.worker = childPids(c.fpm.pid);
    c.nginx = await startNginx({ root: appDir, fastcgiSocket: c.fpm.socket });
    started.push(() => c.nginx.stop());
    c.php = [];
    c.sidecar = [];
  }
  const url = (c) => c.nginx.url + PAGE;
  for (const c of configs) await execFileAsync('wrk', ['-t1', '-c1', '-d1s', url(c)]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of round % 2 === 0 ? configs : [...configs].reverse()) {
      await sidecar.drained();
      const before = { php: cpuNanos(c.worker), sidecar: cpuNanos([sidecar.pid]) };
      const { stdout } = await execFileAsync('wrk', ['-t1', '-c1', `-d${SECONDS}s`, url(c)], { encoding: 'utf8' });
      const requests = Number(/(\d+) requests in/.exec(stdout)[1]);
      if (/Non-2xx/.test(stdout)) throw new Error(`${c.name}: non-2xx answers\n${stdout}`);
      c.php.push((cpuNanos(c.worker) - before.php) / requests / 1000);
      await sidecar.drained();
      c.sidecar.push((cpuNanos([sidecar.pid]) - before.sidecar) / requests / 1000);
    }
  }
  const off = median(configs[0].php);
  console.log(`${PAGE}, ${ROUNDS} rounds of ${SECONDS} s, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('configuration'.padEnd(28) + 'php µs/req  (rounds)                 added   sidecar µs/req');
  for (const c of configs) {
    const m = median(c.php);
    console.log(`${c.name.padEnd(28)}${m.toFixed(1).padStart(8)}  (${c.php.map((x) => x.toFixed(1)).join(', ')})`.padEnd(66) + `${(m - off).toFixed(1).padStart(6)}   ${median(c.sidecar).toFixed(1).padStart(6)}`);
  }
} finally {
  for (const stop of started.reverse()) await stop().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
}
