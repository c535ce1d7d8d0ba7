#!/usr/bin/env node
// Instructions one php-fpm worker executes per request (valgrind callgrind),
// per configuration: a deterministic measure of the bootstrap's cost that
// the load on the machine does not disturb (CPU time does; see cpu.mjs and
// run.mjs for time). For each configuration a php-fpm pool with ONE worker
// runs under callgrind behind its own nginx, twice: with pm.max_requests=A
// and =B, so the worker exits normally and callgrind writes its totals;
// (Ir_B - Ir_A) / (B - A) is the per-request count, start-up and the first
// request's compilation cancelled out. No MariaDB: about.php by default.
//   node bench/php/instructions.mjs [--page /about.php] [--requests B]
//                                   [--prepend NAME=FILE ...]   (more prepends, traced to the same sidecar)
//                                   [--profile N]   (also the N C functions whose per-request cost
//                                                    differs most from "off", inclusive, e.g. zif_getenv)
//                                   [--steps]       (also copies of the generated runtime that stop after
//                                                    each step of a traced request: where the cost goes)
// Needs valgrind; run after `npm run build`. Not CPU-saturating (one worker,
// sequential requests), so no lock is needed.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childPids, startSidecar } from '../lib/process.mjs';
import { importTestHelpers } from '../lib/test-helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const PAGE = option('--page', '/about.php');
const A = 20;
const B = Number(option('--requests', 220));
const PROFILE = Number(option('--profile', 0));
const STEPS = args.includes('--steps');
// Each step: the text in the generated runtime after which a copy of it stops (a `return;` inserted),
// so that the difference between consecutive copies is what that step costs.
const STEP_CUTS = [
  ['runtime include + start (over "disabled")', '        self::$started = true;\n', '        self::$started = true;\n        return;\n'],
  ['Config::resolve', '        if ($config->disabled) {\n            return;\n        }\n', '        return;\n'],
  ['CGI variables + describe', '            Tracer::startRoot($config, $parent, $name, Span::KIND_SERVER, $attributes);\n', '            return;\n'],
  ['root span', '        self::registerFinish();\n    }\n', '        return;\n    }\n'],
  ['shutdown hops', '        $config = Tracer::config();\n        $root = Tracer::rootSpan();\n', '        return;\n'],
  ['outcome + end of the spans', '        $release = self::$http', '        return;\n        $release = self::$http'],
  ['OTLP/JSON with the resource', '        if ($body !== \'\') {\n            Exporter::send(', '        return;\n        if ($body !== \'\') {\n            Exporter::send('],
];
const extra = [];
args.forEach((a, i) => {
  if (a === '--prepend') {
    const [name, file] = args[i + 1].split('=');
    extra.push({ name, prepend: path.resolve(file), env: {} });
  }
});

const { 'php-fpm': { findPhpFpm }, nginx: { startNginx } } = await importTestHelpers('php-fpm', 'nginx');
const { planPhpInit, writePhpInit } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'php', 'init.js')).href);
const { crc32 } = await import('node:zlib');

/** Copies of the bootstrap in DIR, each stopping after one step (STEP_CUTS), its prepend's size and CRC fixed. */
function stepCopies(dir, socket) {
  const plan = planPhpInit({ outDir: dir, cwd: dir, serviceName: 'bench', endpoint: `unix://${socket}` });
  const prepend = plan.files.find((f) => f.name === 'tracekit-prepend.php').content;
  const runtime = plan.files.find((f) => f.name === 'tracekit-runtime.php').content;
  const crc = (text) => crc32(Buffer.from(text)).toString(16).padStart(8, '0');
  return STEP_CUTS.map(([name, from, to], i) => {
    if (!runtime.includes(from)) throw new Error(`--steps: expected the generated runtime to contain ${JSON.stringify(from)} (step "${name}"), found it missing: update STEP_CUTS`);
    const cut = runtime.replace(from, to);
    const stepDir = path.join(dir, `step-${i + 1}`);
    mkdirSync(stepDir, { recursive: true });
    writeFileSync(path.join(stepDir, 'tracekit-runtime.php'), cut);
    writeFileSync(path.join(stepDir, 'tracekit-prepend.php'), prepend.replace(String(Buffer.byteLength(runtime)), String(Buffer.byteLength(cut))).replace(crc(runtime), crc(cut)));
    return { name: `${i + 1}. ${name}`, prepend: path.join(stepDir, 'tracekit-prepend.php'), env: {}, step: true };
  });
}
const fpmBin = findPhpFpm();
if (fpmBin === null) throw new Error('php-fpm is not installed');
const appDir = path.join(root, 'examples', 'legacy-app');

const get = (url) => new Promise((resolve, reject) => http.get(url, { agent: false }, (res) => {
  res.resume();
  res.on('end', () => resolve(res.statusCode));
}).on('error', reject));
const until = async (what, test) => {
  for (let i = 0; i < 600; i++) {
    const value = test();
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** Inclusive instructions per C function in one callgrind file (callgrind_annotate --inclusive=yes). */
function functionCosts(file) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', '--auto=no', '--show-percs=no', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const costs = new Map();
  for (const line of text.split('\n')) {
    // "1,234  file:function [object]"; the file is ??? where the binary has no debug information.
    const m = /^\s*([\d,]+)\s+[^:\s]*:(.+?)(?: \[[^\]]*\])?$/.exec(line);
    if (m) costs.set(m[2], (costs.get(m[2]) ?? 0) + Number(m[1].replace(/,/g, '')));
  }
  return costs;
}

/** Total instructions of one worker that served n requests and exited (and, with --profile, its callgrind file). */
async function workerInstructions(dir, c, n) {
  const fdir = mkdtempSync(path.join(dir, 'fpm-'));
  const conf = ['[global]', `pid = ${fdir}/php-fpm.pid`, `error_log = ${fdir}/php-fpm.log`, 'daemonize = no', '[www]', `listen = ${fdir}/php-fpm.sock`, 'listen.mode = 0666',
    'pm = static', 'pm.max_children = 1', `pm.max_requests = ${n}`, 'clear_env = yes',
    ...(process.getuid?.() === 0 ? ['user = root', 'group = root'] : []),
    ...(c.prepend ? [`php_admin_value[auto_prepend_file] = "${c.prepend}"`] : []),
    ...Object.entries(c.env).map(([k, v]) => `env[${k}] = "${v}"`)];
  writeFileSync(`${fdir}/php-fpm.conf`, conf.join('\n') + '\n');
  // Names written out in full: a forked child's dump cannot refer to the parent's compressed names.
  const fpm = spawn('valgrind', ['--tool=callgrind', '--compress-strings=no', '--compress-pos=no', `--callgrind-out-file=${fdir}/callgrind.%p`, fpmBin, '-F', '-y', `${fdir}/php-fpm.conf`, ...(process.getuid?.() === 0 ? ['-R'] : [])], { stdio: 'ignore' });
  try {
    await until('php-fpm under valgrind', () => (existsSync(`${fdir}/php-fpm.log`) && readFileSync(`${fdir}/php-fpm.log`, 'utf8').includes('ready to handle') ? true : null));
    const [worker] = childPids(fpm.pid);
    if (worker === undefined) throw new Error('php-fpm under valgrind is ready but has no worker process');
    const nginx = await startNginx({ root: appDir, fastcgiSocket: `${fdir}/php-fpm.sock` });
    try {
      for (let i = 0; i < n; i++) {
        const status = await get(nginx.url + PAGE);
        if (status !== 200) throw new Error(`${c.name}: HTTP ${status}`);
      }
      // The worker exits after its n-th request (pm.max_requests) and callgrind writes its totals.
      return await until(`the worker's callgrind totals (${c.name})`, () => {
        const file = `${fdir}/callgrind.${worker}`;
        const m = existsSync(file) ? /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8')) : null;
        return m ? { total: Number(m[1]), functions: PROFILE > 0 ? functionCosts(file) : null } : null;
      });
    } finally {
      await nginx.stop();
    }
  } finally {
    fpm.kill('SIGTERM');
    await once(fpm, 'exit');
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tk-php-ir-'));
let sidecar = null;
try {
  sidecar = await startSidecar({ dir: tmp });
  const { socket } = sidecar;
  await writePhpInit(planPhpInit({ outDir: path.join(tmp, 'bootstrap'), cwd: tmp, serviceName: 'bench', endpoint: `unix://${socket}` }));
  const prepend = path.join(tmp, 'bootstrap', 'tracekit-prepend.php');
  const toSidecar = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `unix://${socket}` };
  const configs = [
    { name: 'off', prepend: null, env: {} },
    { name: 'disabled', prepend, env: { TRACEKIT_DISABLED: '1' } },
    { name: 'not sampled', prepend, env: { OTEL_TRACES_SAMPLER: 'always_off' } },
    { name: 'sidecar', prepend, env: {} },
    ...extra.map((e) => ({ ...e, env: toSidecar })),
    ...(STEPS ? stepCopies(path.join(tmp, 'steps'), socket) : []),
  ];
  console.log(`${PAGE}: instructions per request of one php-fpm worker (callgrind, (Ir at ${B} requests - Ir at ${A}) / ${B - A})`);
  let off = 0;
  let offFunctions = null;
  let previousStep = null;
  for (const c of configs) {
    const b = await workerInstructions(tmp, c, B);
    const a = await workerInstructions(tmp, c, A);
    const perRequest = (b.total - a.total) / (B - A);
    if (c.name === 'off') off = perRequest;
    // A step's own cost: what its copy adds over the copy that stopped one step earlier (the first over "disabled", the prepend alone).
    const stepCost = c.step ? `   this step ${Math.round(perRequest - (previousStep ?? configs.find((x) => x.name === 'disabled').perRequest)).toLocaleString('en-US').padStart(8)}` : '';
    c.perRequest = perRequest;
    if (c.step) previousStep = perRequest;
    console.log(`${c.name.padEnd(36)}${Math.round(perRequest).toLocaleString('en-US').padStart(10)}   added ${Math.round(perRequest - off).toLocaleString('en-US').padStart(9)}${stepCost}`);
    if (PROFILE > 0) {
      const functions = new Map();
      for (const name of new Set([...b.functions.keys(), ...a.functions.keys()])) functions.set(name, ((b.functions.get(name) ?? 0) - (a.functions.get(name) ?? 0)) / (B - A));
      if (c.name === 'off') offFunctions = functions;
      else {
        const added = [...functions].map(([name, v]) => [name, v - (offFunctions?.get(name) ?? 0)]).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1])).slice(0, PROFILE);
        for (const [name, v] of added) console.log(`    ${Math.round(v).toLocaleString('en-US').padStart(9)}  ${name}`);
      }
    }
  }
  if (STEPS) {
    const sidecarConfig = configs.find((c) => c.name === 'sidecar');
    console.log(`${`${STEP_CUTS.length + 1}. the export (sidecar − step ${STEP_CUTS.length})`.padEnd(36)}${''.padStart(10)}   ${''.padStart(15)}   this step ${Math.round(sidecarConfig.perRequest - previousStep).toLocaleString('en-US').padStart(8)}`);
  }
} finally {
  if (sidecar !== null) await sidecar.stop();
  rmSync(tmp, { recursive: true, force: true });
}
