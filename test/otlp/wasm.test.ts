import { isUtf8 } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// The bench generators' deterministic PRNG: a failing case can be replayed.
import { mulberry32 } from '../../bench/lib/prng.mjs';
import { SIGNALS, jsonToProtobuf } from '../../src/otlp/index.js';
import { validateProtobuf, validateProtobufInTypeScript, wasmWalker } from '../../src/otlp/validate-protobuf.js';

// The WebAssembly walker (src/otlp/wasm/walk.ts) is validateProtobuf's fast
// path: it may only say "valid" (with the TypeScript walk's counts) or decline.
// These tests hold it to the TypeScript walk, the reference. (The WebAssembly
// JSON scanner is held to the TypeScript scanner in transcode-json.test.ts;
// the last test here covers both modules missing or damaged.)

const traces = SIGNALS.traces.requestType;

const hex = (next: () => number, bytes: number) => Array.from({ length: bytes }, () => Math.floor(next() * 256).toString(16).padStart(2, '0')).join('');

/** An export of `spans` spans with attributes of every value type, events, links and a status. */
function traceBody(spans: number, seed: number): Buffer {
  const next = mulberry32(seed);
  const doc = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: `shop-${seed}` } }, { key: 'host.cpus', value: { intValue: '2' } }] },
        scopeSpans: [
          {
            scope: { name: 'tracekit', version: '0.1.0' },
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: hex(next, 16),
              spanId: hex(next, 8),
              parentSpanId: i === 0 ? '' : hex(next, 8),
              name: i % 7 === 3 ? 'SELECT café — ünïcode 🚀' : `mysqli_query ${i}`,
              kind: 3,
              startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
              endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n + 250_000n),
              flags: 257,
              attributes: [
                { key: 'db.system', value: { stringValue: 'mysql' } },
                { key: 'db.statement', value: { stringValue: `SELECT * FROM products WHERE id = ${Math.floor(next() * 1e6)}` } },
                { key: 'db.rows', value: { intValue: String(Math.floor(next() * 1000)) } },
                { key: 'db.ok', value: { boolValue: next() < 0.5 } },
                { key: 'db.ratio', value: { doubleValue: next() } },
                { key: 'db.raw', value: { bytesValue: Buffer.from(hex(next, 5), 'hex').toString('base64') } },
                { key: 'db.tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '-5' }] } } },
                { key: 'db.map', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
              ],
              events: i % 5 === 0 ? [{ timeUnixNano: '1700000000000000001', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'Deadlock found' } }] }] : [],
              links: i % 9 === 0 ? [{ traceId: hex(next, 16), spanId: hex(next, 8) }] : [],
              status: i % 4 === 0 ? { code: 2, message: 'failed' } : {},
            })),
          },
        ],
      },
    ],
  };
  return Buffer.from(jsonToProtobuf(traces, JSON.stringify(doc)).bytes);
}

/** What a validation comes to: its counts, or the error it throws. */
function outcome(validate: () => unknown): unknown {
  try {
    return validate();
  } catch (error) {
    return { error: String(error) };
  }
}

/** A span named by these raw bytes (and followed by its kind and start time: bytes above 0x7f), inside a whole export request. */
function bodyWithSpanName(name: Uint8Array): Buffer {
  const span = Buffer.concat([message(0x0a, Buffer.alloc(16, 1)), message(0x12, Buffer.alloc(8, 2)), message(0x2a, Buffer.from(name)), Buffer.from([0x30, 0x03, 0x39]), Buffer.alloc(8, 0xff)]);
  return message(0x0a, message(0x12, message(0x12, span))); // request { resourceSpans { scopeSpans { spans } } }
}

/** A length-delimited field: its one-byte tag, its length, its bytes. */
function message(tag: number, inner: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), varint(inner.length), inner]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

describe('the WebAssembly walker', () => {
  const fast = wasmWalker();

  it('is built and loaded (npm run build compiles src/otlp/wasm/walk.ts)', () => {
    expect(fast).not.toBeNull();
  });

  it('accepts well-formed exports itself, with the same counts as the TypeScript walk', () => {
    for (const spans of [0, 1, 10, 100, 300]) {
      const body = traceBody(spans, spans);
      expect(walkDirectly(body), `${spans} spans`).toEqual(validateProtobufInTypeScript(traces, body));
      expect(validateProtobuf(traces, body)).toEqual({ items: spans, invalidItems: 0 });
    }
  });

  it('counts spans without ids as invalid items, as the TypeScript walk does', () => {
    const body = Buffer.from(jsonToProtobuf(traces, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'no ids' }, { traceId: '01'.repeat(16), spanId: '02'.repeat(8) }, { spanId: '02'.repeat(8) }] }] }] })).bytes);
    expect(walkDirectly(body)).toEqual({ items: 3, invalidItems: 2 });
    expect(validateProtobuf(traces, body)).toEqual(validateProtobufInTypeScript(traces, body));
  });

  it('agrees with the TypeScript walk on 6,000 damaged bodies: flipped bytes, cuts and inserted bytes', () => {
    const next = mulberry32(2026);
    const bodies = [traceBody(3, 1), traceBody(12, 2), Buffer.from(jsonToProtobuf(SIGNALS.metrics.requestType, JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', histogram: { dataPoints: [{ count: '3', bucketCounts: ['1', '2'], explicitBounds: [0.5] }] } }] }] }] })).bytes)];
    let acceptedByWalker = 0;
    for (let i = 0; i < 6000; i++) {
      const original = bodies[i % bodies.length]!;
      const type = i % bodies.length === 2 ? SIGNALS.metrics.requestType : traces;
      const body = Buffer.from(original);
      const at = Math.floor(next() * body.length);
      const damaged = i % 3 === 0 ? body.subarray(0, at) : i % 3 === 1 ? ((body[at] = Math.floor(next() * 256)), body) : Buffer.concat([body.subarray(0, at), Buffer.from([Math.floor(next() * 256)]), body.subarray(at)]);
      const expected = outcome(() => validateProtobufInTypeScript(type, damaged));
      expect(outcome(() => validateProtobuf(type, damaged)), `case ${i}`).toEqual(expected);
      const verdict = fast!.check(type, damaged);
      if (verdict !== null) {
        acceptedByWalker++;
        // Whatever the walker accepts, the reference accepts, with the same counts.
        expect(expected, `case ${i}`).toEqual(verdict);
      }
    }
    // Many damaged bodies are still well-formed (a changed byte inside a string or a timestamp): the walker took some.
    expect(acceptedByWalker).toBeGreaterThan(500);
  });

  it('judges UTF-8 as Node does, for strings of every length up to 24 and in every position, including a short string before bytes above 0x7f', () => {
    const next = mulberry32(99);
    const pieces = [[0x41], [0x7f], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x9a, 0x80], [0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x9a], [0xc3]];
    let valid = 0;
    let invalid = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes: number[] = [];
      const length = Math.floor(next() * 25);
      while (bytes.length < length) bytes.push(...(next() < 0.7 ? [0x61 + Math.floor(next() * 26)] : pieces[Math.floor(next() * pieces.length)]!));
      const name = Uint8Array.from(bytes.slice(0, length));
      const body = bodyWithSpanName(name);
      const expected = isUtf8(name);
      expect(walkDirectly(body) !== null, `name ${Buffer.from(name).toString('hex')}`).toBe(expected);
      expect(outcome(() => validateProtobuf(traces, body))).toEqual(outcome(() => validateProtobufInTypeScript(traces, body)));
      if (expected) valid++;
      else invalid++;
    }
    expect(valid).toBeGreaterThan(500);
    expect(invalid).toBeGreaterThan(500);
  });

  it('leaves to the TypeScript walk what it declines: field numbers of 32 and above, nesting past 64, bodies larger than its memory', () => {
    // Field 99 (varint), unknown: the walker declines it, the reference skips it.
    const unknown = Buffer.concat([traceBody(2, 3), Buffer.from([0x98, 0x06, 0x01])]);
    expect(walkDirectly(unknown)).toBeNull();
    expect(validateProtobuf(traces, unknown)).toEqual({ items: 2, invalidItems: 0 });

    // 64 levels of nesting are allowed, 65 are not: the walker takes the first and declines the second, which
    // the TypeScript walk then rejects with its message. (4 levels above the attribute's value, 2 per array.)
    expect(walkDirectly(nestedBody(29))).toEqual({ items: 0, invalidItems: 0 });
    expect(walkDirectly(nestedBody(30))).toBeNull();
    expect(outcome(() => validateProtobuf(traces, nestedBody(30)))).toEqual({ error: 'OtlpDecodeError: message nesting deeper than 64 levels (at AnyValue)' });

    const large = traceBody(5000, 4);
    expect(large.length).toBeGreaterThan(fast!.maxBody);
    expect(validateProtobuf(traces, large)).toEqual({ items: 5000, invalidItems: 0 });
  });

  it('costs speed, never an answer, when a module is missing or damaged: the TypeScript walk and scanner then take every body', () => {
    const expected = JSON.stringify({ checked: { items: 3, invalidItems: 0 }, transcoded: Buffer.from(jsonToProtobuf(traces, JSON_BODY).bytes).toString('hex') });
    const missing = runWithModules({ 'otlp-walk': null, 'otlp-scan-json': null });
    expect(missing.stdout).toBe(expected);
    expect(missing.stderr).toBe('');
    const damaged = runWithModules({ 'otlp-walk': Buffer.from('not WebAssembly'), 'otlp-scan-json': Buffer.from('\0asm') });
    expect(damaged.stdout).toBe(expected);
    expect(damaged.stderr).toMatch(/otlp-walk\.wasm could not be loaded \(.*\); OTLP\/protobuf bodies are checked in TypeScript only/);
    expect(damaged.stderr).toMatch(/otlp-scan-json\.wasm could not be loaded \(.*\); OTLP\/JSON bodies are transcoded in TypeScript only/);
  });
});

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs a copy of the build (dist/src/otlp) whose dist/wasm/ holds these
 * modules (absent where null): it validates a 3-span protobuf body and
 * transcodes a 1-span OTLP/JSON body, printing both results.
 */
function runWithModules(modules: Record<string, Buffer | null>): { stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tracekit-wasm-'));
  try {
    cpSync(path.join(repo, 'dist/src/otlp'), path.join(dir, 'dist/src/otlp'), { recursive: true });
    symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    mkdirSync(path.join(dir, 'dist/wasm'));
    for (const [name, code] of Object.entries(modules)) if (code !== null) writeFileSync(path.join(dir, 'dist/wasm', `${name}.wasm`), code);
    const script = `import { validateProtobuf, jsonToProtobuf, SIGNALS } from './dist/src/otlp/index.js';
      const type = SIGNALS.traces.requestType;
      const checked = validateProtobuf(type, Buffer.from('${traceBody(3, 5).toString('base64')}', 'base64'));
      const transcoded = jsonToProtobuf(type, Buffer.from(${JSON.stringify(JSON_BODY)}));
      process.stdout.write(JSON.stringify({ checked, transcoded: transcoded.bytes.toString('hex') }));`;
    const { stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
    return { stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const JSON_BODY = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'GET /', kind: 2, startTimeUnixNano: '1700000000000000000' }] }] }] });

/** The walker's own verdict on a traces body: its counts, or null where it declines. */
function walkDirectly(body: Uint8Array) {
  return wasmWalker()!.check(traces, body);
}

/** An export request whose one resource carries an attribute nested `pairs` times in array values (2 levels each). */
function nestedBody(pairs: number): Buffer {
  let anyValue = message(0x0a, Buffer.from('x')); // AnyValue.stringValue
  for (let i = 0; i < pairs; i++) anyValue = message(0x2a, message(0x0a, anyValue)); // AnyValue.arrayValue { values }
  const keyValue = Buffer.concat([message(0x0a, Buffer.from('deep')), message(0x12, anyValue)]);
  return message(0x0a, message(0x0a, message(0x0a, keyValue))); // request { resourceSpans { resource { attributes } } }
}
