#!/usr/bin/env node
// Micro-benchmark of the receiver's hot helper, run after `npm run build`:
//   node bench/sidecar/validate.mjs
// validateProtobuf (walks the wire format, builds nothing) against the
// baseline of decoding the same body with protobufjs, side by side.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { validateProtobuf, jsonToProtobuf, SIGNALS } = await import(path.join(root, 'dist/src/otlp/index.js'));
const type = SIGNALS.traces.requestType;

function body(spans) {
  const list = [];
  for (let i = 0; i < spans; i++) {
    list.push({
      traceId: (i + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: 'SELECT shop.products',
      kind: 3,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000004000000',
      attributes: [
        { key: 'db.system.name', value: { stringValue: 'mysql' } },
        { key: 'db.query.text', value: { stringValue: 'SELECT id, name, price FROM products WHERE category_id = ? ORDER BY name LIMIT ?' } },
        { key: 'server.port', value: { intValue: '3306' } },
      ],
    });
  }
  return Buffer.from(jsonToProtobuf(type, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: list }] }] })).bytes);
}

function time(fn, iterations) {
  for (let i = 0; i < iterations / 10; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iterations);
  }
  return best;
}

const rows = ['| spans | bytes | validateProtobuf ns | protobufjs decode ns | ratio |', '|---:|---:|---:|---:|---:|'];
for (const spans of [1, 10, 100]) {
  const b = body(spans);
  const iterations = Math.max(2000, Math.floor(200_000 / spans));
  const v = time(() => validateProtobuf(type, b), iterations);
  const d = time(() => type.decode(b), iterations);
  rows.push(`| ${spans} | ${b.length} | ${v.toFixed(0)} | ${d.toFixed(0)} | ${(v / d).toFixed(2)} |`);
}
process.stdout.write(`Run: \`node bench/sidecar/validate.mjs\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version} (best of 5 rounds)\n\n${rows.join('\n')}\n`);
