#!/usr/bin/env node
// The receiver's hot helpers of two builds side by side in one process: a
// baseline checkout (built; see bench/sidecar/ab.mjs) against this one.
// validateProtobuf on OTLP/protobuf bodies of 1, 10 and 100 DB spans and the
// OTLP/JSON byte scanner (scanJsonBody) on the PHP bootstrap's exports
// (about.php: a root span; product.php: root + 5 DB spans) and on 100 DB spans
// (bench/sidecar/bodies.mjs, 16 varied bodies each). 15 timed rounds per row,
// alternating which build goes first; reported: each build's best mean per
// call and current/baseline of the bests. Both builds must give the same
// answers on these bodies (else exit 1).
//
// Usage (after `npm run build`, under the benchmark lock):
//   flock /tmp/tracekit-bench.lock node bench/sidecar/validate-ab.mjs BASELINE_DIR
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dbSpansJson, phpExportJson } from './bodies.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const baselineDir = process.argv[2];
if (!baselineDir) throw new Error('usage: node bench/sidecar/validate-ab.mjs BASELINE_DIR: expected a built baseline checkout');

async function load(dir) {
  const otlp = await import(path.join(dir, 'dist/src/otlp/index.js'));
  const { scanJsonBody } = await import(path.join(dir, 'dist/src/otlp/transcode-json.js'));
  return { validate: otlp.validateProtobuf, scan: scanJsonBody, type: otlp.SIGNALS.traces.requestType, jsonToProtobuf: otlp.jsonToProtobuf };
}
const builds = { baseline: await load(path.resolve(baselineDir)), current: await load(root) };

const VARIANTS = 16;
const rows = [
  ...[1, 10, 100].map((spans) => ({ name: `validateProtobuf, ${spans} DB spans`, helper: 'validate', inputs: Array.from({ length: VARIANTS }, (_, i) => Buffer.from(builds.current.jsonToProtobuf(builds.current.type, dbSpansJson(spans, spans * 1000 + i)).bytes)) })),
  { name: 'byte scanner, about.php export', helper: 'scan', inputs: Array.from({ length: VARIANTS }, (_, i) => Buffer.from(phpExportJson(0, i + 1))) },
  { name: 'byte scanner, product.php export', helper: 'scan', inputs: Array.from({ length: VARIANTS }, (_, i) => Buffer.from(phpExportJson(5, i + 1))) },
  { name: 'byte scanner, 100 DB spans', helper: 'scan', inputs: Array.from({ length: VARIANTS }, (_, i) => Buffer.from(dbSpansJson(100, 100_000 + i))) },
];

const same = (a, b) => JSON.stringify(a, (k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)) === JSON.stringify(b, (k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));
const lines = ['| helper and body | bytes | baseline µs | current µs | current/baseline |', '|---|---:|---:|---:|---:|'];
for (const row of rows) {
  const fns = Object.fromEntries(Object.entries(builds).map(([name, b]) => [name, (x) => b[row.helper](b.type, x)]));
  for (const input of row.inputs) {
    if (!same(fns.baseline(input), fns.current(input))) {
      process.stderr.write(`${row.name}: the builds answer differently on a body\n`);
      process.exit(1);
    }
  }
  const bytes = Math.round(row.inputs.reduce((n, b) => n + b.length, 0) / VARIANTS);
  const iterations = Math.max(500, Math.floor(3_000_000 / bytes));
  const round = (fn) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(row.inputs[i % VARIANTS]);
    return Number(process.hrtime.bigint() - t0) / iterations / 1000;
  };
  for (let i = 0; i < 3; i++) for (const fn of Object.values(fns)) round(fn);
  const best = { baseline: Infinity, current: Infinity };
  for (let r = 0; r < 15; r++) {
    for (const name of r % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline']) best[name] = Math.min(best[name], round(fns[name]));
  }
  lines.push(`| ${row.name} | ${bytes} | ${best.baseline.toFixed(2)} | ${best.current.toFixed(2)} | ${(best.current / best.baseline).toFixed(2)} |`);
}
process.stdout.write(`Run: \`node bench/sidecar/validate-ab.mjs ${baselineDir}\` on ${new Date().toISOString()}, Node ${process.version} (best of 15 alternating rounds, ${VARIANTS} varied bodies per row)\n\n${lines.join('\n')}\n`);
