#!/usr/bin/env node
// Per-query overhead of tracekit's wrap-mode mysqli/PDO spans: a loop of N
// `SELECT 1` against a local MariaDB (its unix socket), native vs traced,
// side by side in one php-cli process (bench/hooks/loop.php) with the
// runtime active through tracekit-prepend.php and exporting to the real
// sidecar (file: upstream). Goal: traced ≤ 1.10 × untraced.
// Run after `npm run build`:
//   node bench/hooks/run.mjs [--write] [--n 10000] [--rounds 5]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const N = flag('--n', 10000);
const ROUNDS = flag('--rounds', 5);
const WRITE = args.includes('--write');
const GOAL = 1.1;
const execFileAsync = promisify(execFile);

// The MariaDB test helper is TypeScript; compile it once.
const helpersOut = path.join(root, '.bench-tmp', 'hooks-bench-helpers');
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--outDir', helpersOut, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--types', 'node',
    ...['mariadb.ts', 'require-tool.ts'].map((f) => path.join(root, 'test', 'helpers', f))],
  { stdio: 'inherit' },
);
const { startMariaDB } = await import(pathToFileURL(path.join(helpersOut, 'mariadb.js')).href);
const { planPhpInit, writePhpInit } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'php', 'init.js')).href);
const { renderHooks } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'hooks', 'generate.js')).href);
const { TRACED_FUNCTIONS, TRACED_METHODS } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'hooks', 'catalog.js')).href);

const dir = mkdtempSync(path.join(os.tmpdir(), 'tk-hooks-bench-'));
let db;
let sidecar;
try {
  const appDir = path.join(root, 'examples', 'legacy-app');
  db = await startMariaDB({ sqlFiles: [path.join(appDir, 'sql', 'schema.sql'), path.join(appDir, 'sql', 'seed.sql')] });
  const socket = path.join(dir, 'otlp.sock');
  const spansFile = path.join(dir, 'spans.jsonl');
  sidecar = spawn(process.execPath, [path.join(root, 'bin', 'tracekit.js'), 'sidecar', '--no-listen', '--socket', socket, '--upstream', `file:${spansFile}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    sidecar.stdout.on('data', (c) => {
      out += c;
      if (out.includes('"msg":"listening"')) resolve();
    });
    sidecar.once('exit', (code) => reject(new Error(`sidecar exited ${code}`)));
  });
  const boot = path.join(dir, 'boot');
  await writePhpInit(planPhpInit({ outDir: boot, cwd: dir, serviceName: 'hooks-bench', endpoint: `unix://${socket}` }));
  const plan = {
    functions: [...TRACED_FUNCTIONS],
    classes: ['mysqli', 'pdo'],
    methods: Object.entries(TRACED_METHODS).flatMap(([cls, methods]) => methods.map((m) => [cls, m])),
  };
  writeFileSync(path.join(boot, 'tracekit-hooks.php'), renderHooks(plan, { mode: 'wrap', rawSql: false, command: 'node bench/hooks/run.mjs' }));
  const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const { stdout } = await execFileAsync('php', ['-d', `auto_prepend_file=${path.join(boot, 'tracekit-prepend.php')}`, path.join(root, 'bench', 'hooks', 'loop.php'), String(N), String(ROUNDS)], {
    env: { PATH: process.env.PATH, ...db.env },
    maxBuffer: 16 * 1024 * 1024,
  });
  const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const result = JSON.parse(stdout);
  // The last batch reaches the sidecar: the runtime was really active and exporting.
  let exported = 0;
  for (let i = 0; i < 100 && exported === 0; i++) {
    const text = readFileSync(spansFile, { encoding: 'utf8', flag: 'a+' });
    exported = (text.match(/"tracekit\.db\.call"/g) ?? []).length;
    if (exported === 0) await new Promise((r) => setTimeout(r, 100));
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const rows = [];
  for (const [name, c] of Object.entries(result.cases)) {
    const plain = median(c.plain);
    const traced = median(c.traced);
    const ratio = traced / plain;
    if (c.dropped !== 0) throw new Error(`${name}: the runtime dropped ${c.dropped} spans; the loop must record every one`);
    rows.push({ name, plain, traced, ratio, perQueryMicros: ((traced - plain) / N) * 1e6, spans: c.spansPerRound });
  }
  const bareMicros = (median(result.bareSpan) / N) * 1e6;
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    '## mysqli/PDO spans',
    '',
    `Wrap mode (pure PHP, no extension): a loop of ${N.toLocaleString('en-US')} \`SELECT 1\` against a local MariaDB over its unix socket`,
    '(and, for scale, the same loop with a query a page of examples/legacy-app really makes),',
    'native calls vs the `Tracekit\\Wrap` ones, side by side in one php-cli process with the runtime active',
    '(loaded by `tracekit-prepend.php`, exporting to a real sidecar), every traced query recorded as a CLIENT span',
    `(spans handed over after each chunk of ${N / 20} queries, a request's worth under the default 512-span limit: none dropped).`,
    `${ROUNDS} rounds, each interleaving the two sides in 20 chunks`,
    `(alternating which goes first) after one warm-up loop each; medians of the round totals. Goal: traced ≤ ${GOAL.toFixed(2)} × untraced.`,
    '',
    '| case | untraced (median) | traced (median) | ratio traced/untraced | added per query | spans per traced loop |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.plain.toFixed(3)} s | ${r.traced.toFixed(3)} s | **${r.ratio.toFixed(2)}** | ${r.perQueryMicros.toFixed(1)} µs | ${r.spans} |`),
    '',
    ...rows
      .filter((r) => !r.name.startsWith('control'))
      .map((r) => `- ${r.name}: ratio ${r.ratio.toFixed(2)} ${r.ratio < 1 / GOAL ? `: **inconclusive** (the untraced side ran slower than the traced one, so this run says nothing about the goal; see the note on the bimodal \`SELECT 1\` below)` : r.ratio <= GOAL ? `≤ ${GOAL.toFixed(2)}: met` : `> ${GOAL.toFixed(2)}: **not met**`}.`),
    ...rows
      .filter((r) => r.name.startsWith('control'))
      .map((r) => `- The control row runs the same native loop on both sides: its distance from 1.00 (${r.ratio.toFixed(2)}) is this run's noise level.`),
    '',
    `- Date: ${date} UTC. Command: \`node bench/hooks/run.mjs --write\` (after \`npm run build\`).`,
    `- Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, PHP ${result.php}, MariaDB from the test helper (unix socket).`,
    `  Load average before/after: ${load0} / ${load1} — the machine is shared; both sides ran in the same process under the same load.`,
    `- ${exported} DB span(s) of the final batch reached the sidecar's file: upstream (the runtime was active and exporting).`,
    `- The runtime alone (\`Tracer::startSpan()\` + \`end()\` with the same six attributes, no query, no wrapper) costs ${bareMicros.toFixed(1)} µs per span in`,
    '  this run: that floor is most of the added time per query; the wrapper (argument pass-through, the sanitised-text cache, the',
    '  statement/connection lookups) adds the rest. A local `SELECT 1` is so cheap that ≤ 1.10 × would need a span under ~10 % of it.',
    '- Warm micro-benchmark of the same work without a database (`php -d opcache.enable_cli=1 bench/php/span.php`, 2026-11-21 07:00,',
    '  load ~1–3, side by side with a copy of commit f3fd354): a span with six attributes 2.36 → 1.29 µs; `Db::begin()` + `Db::done()`',
    '  around one `mysqli_query` 3.06 → 1.99 µs (monotonic clock after one wall-clock read 0.30 → 0.09 µs, span ids sliced from one',
    '  64-byte random block 0.43 → 0.35 µs, attribute and span-stack fast paths, the last statement\'s name and attributes reused).',
    '  In the query loops the added time per query stays several times that: the queries\' round trips to MariaDB interleave with',
    '  the tracing work, and on this shared machine the loop\'s cache and scheduler state is not the micro-benchmark\'s.',
    '- On this 2-vCPU virtual machine a local `SELECT 1` is bimodal: ~14–18 µs, or ~55 µs in stretches (2026-11-21 07:15, load ~1.3:',
    '  the *untraced* loop alone took 54–57 µs per query, whatever busy-wait of 0–8 µs was put between queries), most likely the',
    '  wake-up latency of an idle vCPU on each round trip. A case whose traced side ran in such a stretch shows ~50 µs added per',
    '  query and a ratio near 4–5; the same happened with the runtime and hooks of commit f3fd354 in a run side by side',
    '  (PDO prepared: 0.15 s untraced against 0.71–0.78 s traced). Read the added time of the cases that stayed in the fast mode,',
    '  and the micro-benchmark above, as the cost of tracing; the ratios of this table are only as steady as the machine.',
    '- Before that work (commit f3fd354), this bench gave ratios 1.45 / 1.63 / 1.41 (06:34 UTC, load ~9) and 1.30 / 1.78 / 0.90',
    '  (06:47 UTC, load ~4–6) for procedural / OO / PDO prepared, the runtime alone 4.4 and 3.6 µs per span.',
    '- Export (OTLP/JSON encoding and the socket write) happens once per request at shutdown, after `fastcgi_finish_request()`,',
    '  and is not in these loops.',
    '',
  ];
  const section = lines.join('\n');
  process.stdout.write(`${section}\n`);
  if (WRITE) {
    const file = path.join(root, 'BENCHMARKS.md');
    let text = readFileSync(file, 'utf8');
    const start = text.indexOf('\n## mysqli/PDO spans\n');
    if (start === -1) {
      text = `${text.replace(/\n*$/, '\n\n')}${section}`;
    } else {
      const next = text.indexOf('\n## ', start + 1);
      text = `${text.slice(0, start + 1)}${section}${next === -1 ? '' : text.slice(next)}`;
    }
    writeFileSync(file, text);
  }
} finally {
  if (sidecar && sidecar.exitCode === null) {
    const exited = once(sidecar, 'exit');
    sidecar.kill('SIGTERM');
    await exited;
  }
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
}
