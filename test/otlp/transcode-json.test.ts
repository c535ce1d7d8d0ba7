import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { OtlpDecodeError, SIGNALS, jsonToProtobuf, protobufToJson, validateProtobuf } from '../../src/otlp/index.js';
import { scanJsonBody, scanJsonBodyInTypeScript, scanJsonBodyInWasm, wasmScanner } from '../../src/otlp/transcode-json.js';
// The bench generators' deterministic PRNG: the same varied documents on every run.
import { mulberry32 } from '../../bench/lib/prng.mjs';

const traces = SIGNALS.traces.requestType;

/**
 * The byte scanners: the TypeScript one and its WebAssembly fast path
 * (src/otlp/wasm/scan-json.ts), each held to the parsed route on its own.
 */
const SCANNERS = [
  ['TypeScript', (type: protobuf.Type, body: Buffer) => scanJsonBodyInTypeScript(type, body)],
  ['WebAssembly', (type: protobuf.Type, body: Buffer) => scanJsonBodyInWasm(type, body)],
] as const;
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The generic protobufjs route the transcoder replaced: hex ids to bytes, fromObject, verify, encode. */
function viaProtobufjs(type: protobuf.Type, doc: unknown): Uint8Array {
  const plain = JSON.parse(JSON.stringify(doc), (key, value) => (ID_KEYS.has(key) && typeof value === 'string' ? Buffer.from(value, 'hex') : value));
  const message = type.fromObject(plain);
  expect(type.verify(message)).toBeNull();
  return type.encode(message).finish();
}

function decoded(type: protobuf.Type, bytes: Uint8Array): unknown {
  return type.toObject(type.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: false });
}


const TEXTS = ['', 'quote " backslash \\ slash / and \b\f\r', 'GET /products', 'SELECT id FROM t WHERE x = ?', 'café crème', '日本語のテキスト', 'emoji 🚀 pair', 'tab\tand\nnewline', 'x'.repeat(200), 'ü'.repeat(70), 'long '.repeat(4000)];

/** plain: only what the byte scanner takes (no doubles, bytes or integer numbers for 64-bit fields). */
function randomDoc(seed: number, plain = false): Record<string, unknown> {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const hex = (bytes: number) => Array.from({ length: bytes }, () => Math.floor(rnd() * 256).toString(16).padStart(2, '0')).join('');
  const anyValue = (depth: number): Record<string, unknown> => {
    const choice = Math.floor(rnd() * (depth > 2 ? 5 : 7));
    switch (plain && (choice === 3 || choice === 4) ? 0 : choice) {
      case 0:
        return { stringValue: pick(TEXTS) };
      case 1:
        return { boolValue: rnd() < 0.5 };
      case 2:
        return { intValue: pick(['0', '3306', '-5', '9223372036854775807', '-9223372036854775808', '4294967296', ...(plain ? [] : [12, -7, 1700000000000000000])]) };
      case 3:
        return { doubleValue: pick([0, 1.5, -2.25, 1e300, 5e-324, 0.1, 42]) };
      case 4:
        return { bytesValue: Buffer.from(hex(Math.floor(rnd() * 40)), 'hex').toString('base64') };
      case 5:
        return { arrayValue: { values: Array.from({ length: Math.floor(rnd() * 4) }, () => anyValue(depth + 1)) } };
      default:
        return { kvlistValue: { values: Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => ({ key: `k${i}`, value: anyValue(depth + 1) })) } };
    }
  };
  const attributes = () => Array.from({ length: Math.floor(rnd() * 6) }, (_, i) => ({ key: `${pick(['db.query.text', 'http.route', 'ключ'])}.${i}`, value: anyValue(0) }));
  const span = () => {
    const start = 1700000000000000000n + BigInt(Math.floor(rnd() * 1e12));
    const s: Record<string, unknown> = {
      traceId: rnd() < 0.1 ? '' : hex(16),
      spanId: hex(8),
      name: pick(TEXTS),
      kind: Math.floor(rnd() * 6),
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(Math.floor(rnd() * 5e9))),
      attributes: attributes(),
    };
    if (rnd() < 0.5) s.parentSpanId = hex(8);
    if (rnd() < 0.3) s.flags = Math.floor(rnd() * 0xffffffff);
    if (rnd() < 0.3) s.traceState = 'rojo=00f067aa0ba902b7';
    if (rnd() < 0.3) s.droppedAttributesCount = Math.floor(rnd() * 300);
    if (rnd() < 0.3) s.status = { code: Math.floor(rnd() * 3), message: pick(TEXTS) };
    if (rnd() < 0.3) s.events = [{ timeUnixNano: String(start + 5n), name: 'exception', attributes: attributes(), droppedAttributesCount: 1 }];
    if (rnd() < 0.3) s.links = [{ traceId: hex(16), spanId: hex(8), traceState: 'a=b', attributes: attributes(), flags: 256 }];
    return s;
  };
  return {
    resourceSpans: Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'corner-shop' } }, ...attributes()], droppedAttributesCount: 0 },
      scopeSpans: Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({
        scope: { name: 'tracekit', version: '1.2.3', attributes: attributes() },
        spans: Array.from({ length: Math.floor(rnd() * 12) }, span),
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      })),
      schemaUrl: rnd() < 0.5 ? '' : 'https://opentelemetry.io/schemas/1.26.0',
    })),
  };
}

describe('OTLP/JSON transcoder', () => {
  it('writes what protobufjs writes, for 200 varied trace documents, and counts like the validator', () => {
    let spans = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const doc = randomDoc(seed);
      const { bytes, items, invalidItems } = jsonToProtobuf(traces, JSON.stringify(doc));
      expect(decoded(traces, bytes), `seed ${seed}`).toEqual(decoded(traces, viaProtobufjs(traces, doc)));
      const checked = validateProtobuf(traces, bytes);
      expect({ items, invalidItems }).toEqual(checked);
      spans += items;
    }
    expect(spans).toBeGreaterThan(500);
  });

  describe.each(SCANNERS)('the %s byte scanner', (_, scan) => {
    it('scans plain documents straight from their bytes, writing exactly what the parsed route writes', () => {
      for (let seed = 1; seed <= 200; seed++) {
        const doc = randomDoc(seed, true);
        for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, seed % 4)]) {
          const viaParse = jsonToProtobuf(traces, text);
          const scanned = scan(traces, Buffer.from(text));
          expect(scanned, `seed ${seed}`).not.toBeNull();
          expect(scanned!.bytes.equals(viaParse.bytes), `seed ${seed}`).toBe(true);
          expect({ items: scanned!.items, invalidItems: scanned!.invalidItems }).toEqual({ items: viaParse.items, invalidItems: viaParse.invalidItems });
        }
      }
    });

    it('scans every 64-bit decimal form as the parsed route reads it, and leaves it those out of range', () => {
      const span = (fields: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[{${fields}}]}]}]}`;
      // startTimeUnixNano is fixed64 (unsigned), intValue int64 (signed).
      const unsigned = (value: string) => span(`"startTimeUnixNano":"${value}"`);
      const signed = (value: string) => span(`"attributes":[{"key":"k","value":{"intValue":"${value}"}}]`);
      const both = ['0', '7', '0007', '999999999999999', '1000000000000000', '1234567890123456789', '9223372036854775807', '00000000000000000001', '4294967295', '4294967296'];
      const signedOnly = ['-0', '-1', '-4294967296', '-9223372036854775808'];
      const unsignedOnly = ['9223372036854775808', '18446744073709551615'];
      const neither = ['18446744073709551616', '99999999999999999999', '-9223372036854775809', '000000000000000000001', '', '-', '1.5', '1e3', ' 1', '+1'];
      for (const value of [...both, ...signedOnly, ...unsignedOnly, ...neither]) {
        for (const [text, takes] of [
          [unsigned(value), both.includes(value) || unsignedOnly.includes(value)],
          [signed(value), both.includes(value) || signedOnly.includes(value)],
        ] as const) {
          const scanned = scan(traces, Buffer.from(text));
          expect(scanned !== null, text).toBe(takes);
          if (scanned) expect(scanned.bytes.equals(jsonToProtobuf(traces, text).bytes), text).toBe(true);
        }
      }
    });

    it('copies strings a word at a time and stops at every kind of byte that needs a look, wherever it falls', () => {
      const doc = (name: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"${name}"}]}]}]}`;
      // As JSON text: escapes the scanner decodes, UTF-8 it copies, and what it leaves to JSON.parse (null).
      const specials: [string, boolean][] = [['\\"', true], ['\\\\', true], ['\\n', true], ['\\/', true], ['é', true], ['🚀', true], ['\\u0041', false], ['\u0001', false]];
      for (let length = 0; length <= 20; length++) {
        for (let at = 0; at <= length; at++) {
          for (const [special, takes] of specials) {
            const text = doc(`${'a'.repeat(at)}${special}${'b'.repeat(length - at)}`);
            const scanned = scan(traces, Buffer.from(text));
            expect(scanned !== null, text).toBe(takes);
            if (scanned) expect(scanned.bytes.equals(jsonToProtobuf(traces, text).bytes), text).toBe(true);
          }
        }
      }
    });

    it('never takes what the parsed route refuses, nor writes other bytes, on documents damaged at random', () => {
      const rnd = mulberry32(7);
      const noise = '{}[]:,"\\ 0123456789-.aeflnrstu\n';
      let taken = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const text = JSON.stringify(randomDoc(seed, true));
        for (let round = 0; round < 150; round++) {
          const at = Math.floor(rnd() * text.length);
          const damaged = round % 3 === 0 ? text.slice(0, at) : round % 3 === 1 ? text.slice(0, at) + noise[Math.floor(rnd() * noise.length)] + text.slice(at + 1) : text.slice(0, at) + text.slice(at + 1);
          const scanned = scan(traces, Buffer.from(damaged));
          if (scanned === null) continue;
          taken++;
          const parsed = jsonToProtobuf(traces, damaged);
          expect(scanned.bytes.equals(parsed.bytes), damaged).toBe(true);
          expect({ items: scanned.items, invalidItems: scanned.invalidItems }).toEqual({ items: parsed.items, invalidItems: parsed.invalidItems });
        }
      }
      // Some damage leaves valid documents (a digit for a digit, a space): those are taken and compared above.
      expect(taken).toBeGreaterThan(100);
    });
  });

  it('leaves bodies larger than the memory of the WebAssembly scanner to the TypeScript scanner, with the same bytes', () => {
    const text = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'x'.repeat(wasmScanner()!.maxBody) }] }] }] });
    expect(scanJsonBodyInWasm(traces, Buffer.from(text))).toBeNull();
    const scanned = scanJsonBody(traces, Buffer.from(text));
    expect(scanned).not.toBeNull();
    expect(scanned!.bytes.equals(scanJsonBodyInTypeScript(traces, Buffer.from(text))!.bytes)).toBe(true);
    // One byte under the bound (the same document, a shorter name) is the WebAssembly scanner's own.
    const fits = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'x'.repeat(wasmScanner()!.maxBody - (text.length - wasmScanner()!.maxBody)) }] }] }] });
    expect(Buffer.byteLength(fits)).toBe(wasmScanner()!.maxBody);
    expect(scanJsonBodyInWasm(traces, Buffer.from(fits))!.bytes.equals(scanJsonBodyInTypeScript(traces, Buffer.from(fits))!.bytes)).toBe(true);
  });

  it('leaves to JSON.parse what the byte scanner does not take, with the same result', () => {
    const base = (fields: Record<string, unknown>) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'n', ...fields }] }] }] });
    const texts = [
      JSON.stringify(base({ somethingNew: [1, { a: null }] })),
      JSON.stringify(base({ parentSpanId: null })),
      JSON.stringify(base({ attributes: [{ key: 'd', value: { doubleValue: 1.5 } }] })),
      JSON.stringify(base({ attributes: [{ key: 'b', value: { bytesValue: 'AQID' } }] })),
      JSON.stringify(base({ attributes: [{ key: 'i', value: { intValue: 3306 } }] })),
      JSON.stringify(base({ startTimeUnixNano: 1700000000000000000 })),
      JSON.stringify(base({ name: 'control \u0001 char' })),
      JSON.stringify(base({ kind: 'SPAN_KIND_SERVER' })),
      JSON.stringify(base({ trace_state: 'a', traceState: 'b' })),
      JSON.stringify(base({})).replace('"name":"n"', '"name":"n","name":"m"'),
      JSON.stringify(base({})).replace('"name":"n"', '"n\\u0061me":"m"'),
    ];
    for (const text of texts) {
      expect(scanJsonBody(traces, Buffer.from(text)), text).toBeNull();
      expect(jsonToProtobuf(traces, Buffer.from(text)).bytes.equals(jsonToProtobuf(traces, text).bytes), text).toBe(true);
    }
    // Bytes that are not UTF-8 inside a string: JSON.parse's reading of the body (U+FFFD) decides, as before.
    const bad = Buffer.concat([Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a'), Buffer.from([0xff]), Buffer.from('b"}]}]}]}')]);
    expect(scanJsonBody(traces, bad)).toBeNull();
    expect(protobufToJson(traces, jsonToProtobuf(traces, bad).bytes)).toEqual({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a\ufffdb' }] }] }] });
    // Truncated or trailing bytes, an empty body, and JSON that only looks right (a leading zero, a trailing comma).
    const span = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a","kind":';
    for (const text of ['{"resourceSpans":[{"scopeSpans":[', '{"resourceSpans":[]} x', '', '   ', `${span}01}]}]}]}`, `${span}1,}]}]}]}`, '{"resourceSpans":[{},]}']) {
      expect(scanJsonBody(traces, Buffer.from(text)), text).toBeNull();
      expect(() => jsonToProtobuf(traces, Buffer.from(text))).toThrow(/^body is not JSON: /);
    }
  });

  it('round-trips canonical documents: protobuf back to OTLP/JSON gives the input', () => {
    const doc = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
          scopeSpans: [
            {
              scope: { name: 'tracekit' },
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  parentSpanId: 'eee19b7ec3c1b173',
                  name: 'GET /p',
                  kind: 2,
                  startTimeUnixNano: '1544712660000000000',
                  endTimeUnixNano: '1544712661000000000',
                  attributes: [
                    { key: 'n', value: { intValue: '-42' } },
                    { key: 'big', value: { intValue: '9223372036854775807' } },
                    { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { doubleValue: 2.5 }, { boolValue: false }] } } },
                  ],
                  status: { code: 2, message: 'boom' },
                },
              ],
            },
          ],
        },
      ],
    };
    expect(protobufToJson(traces, jsonToProtobuf(traces, JSON.stringify(doc)).bytes)).toEqual(doc);
  });

  it('takes numbers where strings are canonical, enum names, snake_case keys (camelCase wins), skips nulls and unknown keys', () => {
    const loose = {
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: 'AB'.repeat(16),
                  traceId: 'ab'.repeat(16),
                  span_id: 'cd'.repeat(8),
                  name: 'n',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: 1700000000000000000,
                  parentSpanId: null,
                  somethingNew: { nested: true },
                  attributes: [{ key: 'port', value: { int_value: 3306 } }, { key: 'd', value: { doubleValue: 'Infinity' } }],
                  dropped_attributes_count: '3',
                  status: { code: 'STATUS_CODE_ERROR' },
                },
              ],
            },
          ],
        },
      ],
    };
    const { bytes } = jsonToProtobuf(traces, JSON.stringify(loose));
    expect(protobufToJson(traces, bytes)).toEqual({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'ab'.repeat(16),
                  spanId: 'cd'.repeat(8),
                  name: 'n',
                  kind: 3,
                  startTimeUnixNano: '1700000000000000000',
                  attributes: [{ key: 'port', value: { intValue: '3306' } }, { key: 'd', value: { doubleValue: Infinity } }],
                  droppedAttributesCount: 3,
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('ignores keys that name Object.prototype members', () => {
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'ab'.repeat(16)}","spanId":"${'cd'.repeat(8)}","name":"p","__proto__":{"name":"x"},"constructor":5,"toString":"s","kind":"hasOwnProperty"}]}]}]}`;
    expect(() => jsonToProtobuf(traces, text)).toThrow(/\.kind must be an integer \(or a value name\) of Span\.kind, found the string "hasOwnProperty"$/);
    const { bytes } = jsonToProtobuf(traces, text.replace(',"kind":"hasOwnProperty"', ''));
    expect(protobufToJson(traces, bytes)).toEqual({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'p' }] }] }] });
  });

  it('writes lengths of several bytes and grows its buffer for large documents', () => {
    const doc = { resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: 300 }, (_, i) => ({ traceId: '01'.repeat(16), spanId: (i + 1).toString(16).padStart(16, '0'), name: 'q'.repeat(20_000 + i) })) }] }] };
    const { bytes, items } = jsonToProtobuf(traces, JSON.stringify(doc));
    expect(bytes.length).toBeGreaterThan(6_000_000);
    expect(items).toBe(300);
    expect(decoded(traces, bytes)).toEqual(decoded(traces, viaProtobufjs(traces, doc)));
    // The next (small) request is not disturbed by the earlier large one.
    const small = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'é' }] }] }] };
    expect(decoded(traces, jsonToProtobuf(traces, JSON.stringify(small)).bytes)).toEqual(decoded(traces, viaProtobufjs(traces, small)));
  });

  it('writes metrics (packed repeated fields, oneofs, sfixed64) and logs as protobufjs does', () => {
    const metrics = SIGNALS.metrics.requestType;
    const metricsDoc = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '-12345678901234', timeUnixNano: '1700000000000000000', attributes: [{ key: 'a', value: { stringValue: 'b' } }] }, { asDouble: 1.5 }] } },
                { name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ count: '3', sum: 0.6, bucketCounts: ['1', '2', 0], explicitBounds: [0.1, 0.5], min: 0, max: 9 }] } },
                { name: 'e', exponentialHistogram: { dataPoints: [{ scale: -3, positive: { offset: -2, bucketCounts: ['1', '5'] }, zeroCount: '0' }] } },
                { name: 'sm', summary: { dataPoints: [{ quantileValues: [{ quantile: 0.5, value: 3 }] }] } },
              ],
            },
          ],
        },
      ],
    };
    const m = jsonToProtobuf(metrics, JSON.stringify(metricsDoc));
    expect(decoded(metrics, m.bytes)).toEqual(decoded(metrics, viaProtobufjs(metrics, metricsDoc)));
    expect({ items: m.items, invalidItems: m.invalidItems }).toEqual(validateProtobuf(metrics, m.bytes));
    const logs = SIGNALS.logs.requestType;
    const logsDoc = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1', severityNumber: 9, severityText: 'INFO', body: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } }, traceId: 'ab'.repeat(16), spanId: '' }] }] }] };
    const l = jsonToProtobuf(logs, JSON.stringify(logsDoc));
    expect(decoded(logs, l.bytes)).toEqual(decoded(logs, viaProtobufjs(logs, logsDoc)));
    expect(l.items).toBe(1);
  });

  const span = (fields: Record<string, unknown>) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), ...fields }] }] }] });
  const at = 'ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0]';
  const attr = (value: unknown) => span({ attributes: [{ key: 'k', value }] });

  it.each([
    ['a root that is not an object', [], /^ExportTraceServiceRequest must be an object \(ExportTraceServiceRequest\), found an array$/],
    ['resourceSpans not an array', { resourceSpans: { not: 'an array' } }, /^ExportTraceServiceRequest\.resourceSpans must be an array, found an object$/],
    ['a null element', { resourceSpans: [null] }, /^ExportTraceServiceRequest\.resourceSpans\[0\] must be an object \(ResourceSpans\), found null$/],
    ['a trace id of the wrong length', span({ traceId: 'ab'.repeat(8) }), new RegExp(`^${esc(at)}\\.traceId must be a 32-digit hex string \\(or "" for unset\\), found the string "${'ab'.repeat(8)}"$`)],
    ['a span id that is not hex', span({ spanId: 'zz'.repeat(8) }), new RegExp(`^${esc(at)}\\.spanId must be a 16-digit hex string`)],
    ['a span id that is not ASCII', span({ spanId: 'é'.repeat(16) }), /spanId must be a 16-digit hex string/],
    ['an id given as a number', span({ parentSpanId: 12 }), /parentSpanId must be a 16-digit hex string \(or "" for unset\), found number 12$/],
    ['a name that is a number', span({ name: 5 }), new RegExp(`^${esc(at)}\\.name must be a string, found number 5$`)],
    ['a kind that is no value name', span({ kind: 'SERVER' }), /\.kind must be an integer \(or a value name\) of Span\.kind, found the string "SERVER"$/],
    ['a kind with a fraction', span({ kind: 1.5 }), /\.kind must be an integer/],
    ['a bool given as a string', attr({ boolValue: 'true' }), new RegExp(`^${esc(at)}\\.attributes\\[0\\]\\.value\\.boolValue must be true or false, found the string "true"$`)],
    ['an int64 with letters', attr({ intValue: '12a' }), /intValue must be a signed 64-bit integer \(a decimal string such as "1700000000000000000", or an integer number\), found the string "12a"$/],
    ['an int64 with a fraction', attr({ intValue: 1.5 }), /intValue must be a signed 64-bit integer .*found number 1\.5$/],
    ['an int64 above its range', attr({ intValue: '9223372036854775808' }), /intValue must be a signed 64-bit integer/],
    ['an int64 below its range', attr({ intValue: '-9223372036854775809' }), /intValue must be a signed 64-bit integer/],
    ['an int64 of 21 digits', attr({ intValue: '100000000000000000000' }), /intValue must be a signed 64-bit integer/],
    ['an empty int64 string', attr({ intValue: '' }), /intValue must be a signed 64-bit integer/],
    ['a negative unsigned timestamp', span({ startTimeUnixNano: '-1' }), /startTimeUnixNano must be an unsigned 64-bit integer/],
    ['a timestamp past 2^64', span({ endTimeUnixNano: '18446744073709551616' }), /endTimeUnixNano must be an unsigned 64-bit integer/],
    ['a double that is no number', attr({ doubleValue: 'abc' }), /doubleValue must be a number \(or "NaN", "Infinity", "-Infinity"\), found the string "abc"$/],
    ['a negative count', span({ droppedAttributesCount: -1 }), /droppedAttributesCount must be an unsigned 32-bit integer, found number -1$/],
    ['flags past 32 bits', span({ flags: 4294967296 }), /flags must be an unsigned 32-bit integer/],
    ['bytes that are not base64', attr({ bytesValue: '@@@' }), /bytesValue must be a base64 string, found the string "@@@"$/],
    ['two values of one oneof', attr({ stringValue: 'a', intValue: '1' }), new RegExp(`^${esc(at)}\\.attributes\\[0\\]\\.value\\.intValue sets a second value of the oneof AnyValue\\.value; expected at most one$`)],
    ['an attribute value that is a bare string', span({ attributes: [{ key: 'k', value: 'v' }] }), /attributes\[0\]\.value must be an object \(AnyValue\), found the string "v"$/],
    ['a lone surrogate', span({ name: 'bad \ud800 name' }), new RegExp(`^Span\\.name is not valid UTF-8 at ${esc(at)}\\.name: expected well-formed Unicode, found a lone surrogate U\\+D800$`)],
    ['a lone low surrogate after a pair', attr({ stringValue: '🚀\udc00' }), /AnyValue\.stringValue is not valid UTF-8 at .*found a lone surrogate U\+DC00$/],
    ['a lone surrogate in a key', span({ attributes: [{ key: '\udbff' }] }), /KeyValue\.key is not valid UTF-8/],
  ])('rejects %s, naming the path, what was expected and what was found', (_what, doc, message) => {
    // As a string (JSON.parse) and as the receiver's Buffer (the byte scanner first, which must give up).
    for (const body of [JSON.stringify(doc), Buffer.from(JSON.stringify(doc))]) {
      let error: unknown;
      try {
        jsonToProtobuf(traces, body);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OtlpDecodeError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('rejects nesting past the depth cap and body text that is not JSON', () => {
    let v = '{"stringValue":"leaf"}';
    for (let i = 0; i < 40; i++) v = `{"arrayValue":{"values":[${v}]}}`;
    const doc = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s","attributes":[{"key":"k","value":${v}}]}]}]}]}`;
    expect(() => jsonToProtobuf(traces, doc)).toThrow(/^message nesting deeper than 64 levels \(at (AnyValue|ArrayValue)\)$/);
    expect(() => jsonToProtobuf(traces, '{"resourceSpans": [')).toThrow(/^body is not JSON: /);
  });

  it('is not disturbed by an earlier failed request', () => {
    expect(() => jsonToProtobuf(traces, JSON.stringify(span({ name: 5 })))).toThrow(OtlpDecodeError);
    const doc = span({ name: 'after' });
    expect(decoded(traces, jsonToProtobuf(traces, JSON.stringify(doc)).bytes)).toEqual(decoded(traces, viaProtobufjs(traces, doc)));
  });
});

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
