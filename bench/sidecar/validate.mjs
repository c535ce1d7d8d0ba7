#!/usr/bin/env node
// Micro-benchmarks of the receiver's hot helpers, run after `npm run build`:
//   node bench/sidecar/validate.mjs
// 1. validateProtobuf (walks the wire format, builds nothing; in WebAssembly,
//    src/otlp/wasm/walk.ts) against the same walk in TypeScript (what it
//    falls back to) and against decoding the same body with protobufjs, side by side.
// 2. jsonToProtobuf on a body Buffer (the byte scanner in WebAssembly,
//    src/otlp/wasm/scan-json.ts; what the receiver does), the TypeScript byte
//    scanner it falls back to, and jsonToProtobuf on a string (JSON.parse + transcodeJson, the route for input
//    the scanner leaves alone), against the generic protobufjs route the
//    receiver took before: JSON.parse with ids turned into bytes, fromObject, verify,
//    encode, then validateProtobuf over the result. Bodies include the PHP
//    bootstrap's export shape (about.php: a root span; product.php: root + 5 DB spans).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dbSpansJson, phpExportJson } from './bodies.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { validateProtobuf, jsonToProtobuf, SIGNALS } = await import(path.join(root, 'dist/src/otlp/index.js'));
const { validateProtobufInTypeScript, wasmWalker } = await import(path.join(root, 'dist/src/otlp/validate-protobuf.js'));
const { scanJsonBodyInTypeScript, wasmScanner } = await import(path.join(root, 'dist/src/otlp/transcode-json.js'));
if (wasmWalker() === null || wasmScanner() === null) throw new Error('dist/wasm/ is missing its modules: run npm run build');
const type = SIGNALS.traces.requestType;
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

function viaProtobufjs(text) {
  const plain = JSON.parse(text, (key, value) => (ID_KEYS.has(key) && typeof value === 'string' ? Buffer.from(value, 'hex') : value));
  const message = type.fromObject(plain);
  const error = type.verify(message);
  if (error) throw new Error(error);
  const bytes = type.encode(message).finish();
  return validateProtobuf(type, bytes);
}

/** Best mean ns per call over 5 rounds, cycling through the given inputs. */
function time(fn, inputs, iterations) {
  for (let i = 0; i < iterations / 10; i++) fn(inputs[i % inputs.length]);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(inputs[i % inputs.length]);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iterations);
  }
  return best;
}

const VARIANTS = 16;
const validatorRows = ['| spans | bytes | validateProtobuf ns (WebAssembly) | TypeScript walk ns | ratio WebAssembly / TypeScript | protobufjs decode ns | ratio validateProtobuf / protobufjs | validateProtobuf MB/s |', '|---:|---:|---:|---:|---:|---:|---:|---:|'];
for (const spans of [1, 10, 100]) {
  const bodies = Array.from({ length: VARIANTS }, (_, i) => jsonToProtobuf(type, dbSpansJson(spans, spans * 1000 + i)).bytes);
  const bytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / VARIANTS);
  const iterations = Math.max(2000, Math.floor(200_000 / spans));
  const v = time((b) => validateProtobuf(type, b), bodies, iterations);
  const t = time((b) => validateProtobufInTypeScript(type, b), bodies, iterations);
  const d = time((b) => type.decode(b), bodies, iterations);
  validatorRows.push(`| ${spans} | ${bytes} | ${v.toFixed(0)} | ${t.toFixed(0)} | ${(v / t).toFixed(2)} | ${d.toFixed(0)} | ${(v / d).toFixed(2)} | ${((bytes / v) * 1000).toFixed(0)} |`);
}

const jsonRows = ['| body | JSON bytes | jsonToProtobuf (byte scanner, WebAssembly) µs | TypeScript byte scanner µs | ratio WebAssembly / TypeScript | JSON.parse + transcodeJson µs | protobufjs route µs | ratio jsonToProtobuf / protobufjs |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
const cases = [
  ['PHP export, about.php (root span)', (i) => phpExportJson(0, i)],
  ['PHP export, product.php (root + 5 DB spans)', (i) => phpExportJson(5, i)],
  ['10 DB spans', (i) => dbSpansJson(10, 10_000 + i)],
  ['100 DB spans', (i) => dbSpansJson(100, 100_000 + i)],
];
for (const [name, make] of cases) {
  const texts = Array.from({ length: VARIANTS }, (_, i) => make(i + 1));
  const bytes = Math.round(texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / VARIANTS);
  const buffers = texts.map((t) => Buffer.from(t));
  const iterations = Math.max(2000, Math.floor(2_000_000 / bytes));
  const fast = time((b) => jsonToProtobuf(type, b), buffers, iterations);
  const typescript = time((b) => scanJsonBodyInTypeScript(type, b), buffers, iterations);
  // A string body skips the byte scanner: the route for input it leaves to JSON.parse.
  const parsed = time((b) => jsonToProtobuf(type, b.toString('utf8')), buffers, iterations);
  const slow = time((b) => viaProtobufjs(b.toString('utf8')), buffers, iterations);
  jsonRows.push(`| ${name} | ${bytes} | ${(fast / 1000).toFixed(1)} | ${(typescript / 1000).toFixed(1)} | ${(fast / typescript).toFixed(2)} | ${(parsed / 1000).toFixed(1)} | ${(slow / 1000).toFixed(1)} | ${(fast / slow).toFixed(2)} |`);
}

process.stdout.write(
  `Run: \`node bench/sidecar/validate.mjs\` on ${new Date().toISOString()}, Node ${process.version} (best of 5 rounds, ${VARIANTS} varied bodies per row)\n\n` +
    `${validatorRows.join('\n')}\n\n${jsonRows.join('\n')}\n`,
);
