import { describe, expect, it } from 'vitest';
import { OtlpDecodeError, SIGNALS, jsonToProtobuf, protobufToJson, validateProtobuf } from '../../src/otlp/index.js';

const metricsJson = {
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
      scopeMetrics: [
        {
          scope: { name: 'm' },
          metrics: [
            { name: 'claude_code.token.usage', unit: 'tokens', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '12345678901234', timeUnixNano: '1700000000000000000' }, { asDouble: 1.5 }] } },
            { name: 'latency', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '3', sum: 0.6, bucketCounts: ['1', '2', '0'], explicitBounds: [0.1, 0.5] }] } },
            { name: 'g', gauge: { dataPoints: [{ asDouble: 2 }] } },
          ],
        },
      ],
    },
  ],
};

describe('OTLP codec', () => {
  it('transcodes OTLP/JSON metrics to protobuf and back, counting data points', () => {
    const { bytes, items } = jsonToProtobuf(SIGNALS.metrics.requestType, JSON.stringify(metricsJson));
    expect(items).toBe(4);
    expect(validateProtobuf(SIGNALS.metrics.requestType, bytes).items).toBe(4);
    expect(protobufToJson(SIGNALS.metrics.requestType, bytes)).toEqual(metricsJson);
  });

  it('accepts snake_case keys as the OTLP/JSON spec asks receivers to', () => {
    const doc = { resource_logs: [{ scope_logs: [{ log_records: [{ severity_text: 'INFO', trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8), body: { string_value: 'hi' } }] }] }] };
    const { bytes, items } = jsonToProtobuf(SIGNALS.logs.requestType, JSON.stringify(doc));
    expect(items).toBe(1);
    expect(protobufToJson(SIGNALS.logs.requestType, bytes)).toEqual({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'INFO', traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), body: { stringValue: 'hi' } }] }] }],
    });
  });

  it('skips unknown protobuf fields (they are forwarded untouched) and counts spans', () => {
    const { bytes } = jsonToProtobuf(SIGNALS.traces.requestType, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'a' }, { name: 'b' }] }] }] }));
    // Field 99 (varint) appended at the top level: unknown to v1, must be tolerated.
    const withUnknown = Buffer.concat([Buffer.from(bytes), Buffer.from([0x98, 0x06, 0x01])]);
    expect(validateProtobuf(SIGNALS.traces.requestType, withUnknown).items).toBe(2);
  });

  it('treats concatenated requests as one request holding both (how batches are formed)', () => {
    const a = jsonToProtobuf(SIGNALS.traces.requestType, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }] }] }] })).bytes;
    const b = jsonToProtobuf(SIGNALS.traces.requestType, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'b' }, { name: 'c' }] }] }] })).bytes;
    const joined = Buffer.concat([a, b]);
    expect(validateProtobuf(SIGNALS.traces.requestType, joined).items).toBe(3);
    const json = protobufToJson(SIGNALS.traces.requestType, joined) as { resourceSpans: unknown[] };
    expect(json.resourceSpans).toHaveLength(2);
  });

  it('rejects a field with the wrong wire type, naming it', () => {
    // resourceSpans (field 1) sent as a varint instead of a message.
    expect(() => validateProtobuf(SIGNALS.traces.requestType, Buffer.from([0x08, 0x01]))).toThrow(new OtlpDecodeError('ExportTraceServiceRequest.resourceSpans expected wire type 2, found 0'));
  });

  it('finds a byte that is not UTF-8 at every position of strings of every length up to 20 (the ASCII fast path)', () => {
    const field = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
    const withName = (name: Buffer) => field(1, field(2, field(2, field(5, name))));
    for (let length = 1; length <= 20; length++) {
      expect(validateProtobuf(SIGNALS.traces.requestType, withName(Buffer.alloc(length, 0x61))).items).toBe(1);
      for (let at = 0; at < length; at++) {
        const name = Buffer.alloc(length, 0x61);
        name[at] = 0xff;
        expect(() => validateProtobuf(SIGNALS.traces.requestType, withName(name)), `length ${length}, at ${at}`).toThrow(new OtlpDecodeError('Span.name is not valid UTF-8'));
        if (at + 1 < length) {
          name[at] = 0xc3;
          name[at + 1] = 0xa9; // é: multi-byte but valid
          expect(validateProtobuf(SIGNALS.traces.requestType, withName(name)).items).toBe(1);
        }
      }
    }
  });

  it('allows nesting up to 64 messages and no deeper, in protobuf and in JSON alike', () => {
    const type = SIGNALS.traces.requestType;
    // The innermost AnyValue sits at depth 6 + 2·levels (request, resource spans, scope spans, span, key-value, any-value).
    const doc = (levels: number) => {
      let value: Record<string, unknown> = { stringValue: 'leaf' };
      for (let i = 0; i < levels; i++) value = { arrayValue: { values: [value, {}] } };
      return { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), attributes: [{ key: 'k', value }] }] }] }] };
    };
    const ok = jsonToProtobuf(type, JSON.stringify(doc(29)));
    expect(validateProtobuf(type, ok.bytes)).toEqual({ items: 1, invalidItems: 0 });
    expect(protobufToJson(type, ok.bytes)).toEqual(doc(29));
    expect(() => jsonToProtobuf(type, JSON.stringify(doc(30)))).toThrow(/nesting deeper than 64 levels/);
    const tooDeep = type.encode(type.fromObject(JSON.parse(JSON.stringify(doc(30)), (k, v) => (k === 'traceId' || k === 'spanId' ? Buffer.from(v, 'hex') : v)))).finish();
    expect(() => validateProtobuf(type, tooDeep)).toThrow(new OtlpDecodeError('message nesting deeper than 64 levels (at ArrayValue)'));
  });

  it('walks tags and lengths in every varint form the format allows, through the one-byte table and the general path alike', () => {
    const type = SIGNALS.traces.requestType;
    // A length or tag as a varint of `size` bytes (protobuf allows encodings longer than needed).
    const varint = (value: number, size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (Math.floor(value / 2 ** (7 * i)) & 0x7f) | (i + 1 < size ? 0x80 : 0)));
    const field = (n: number, wire: number, body: Buffer, tagSize = 1, lengthSize = 1) => Buffer.concat([varint(n * 8 + wire, tagSize), ...(wire === 2 ? [varint(body.length, lengthSize)] : []), body]);
    const span = (name: Buffer, tagSize = 1, lengthSize = 1) =>
      Buffer.concat([field(1, 2, Buffer.alloc(16, 1)), field(2, 2, Buffer.alloc(8, 2)), field(5, 2, name, tagSize, lengthSize)]);
    const request = (spanBytes: Buffer, lengthSize = 1) => field(1, 2, field(2, 2, field(2, 2, spanBytes, 1, lengthSize), 1, lengthSize), 1, lengthSize);
    for (const tagSize of [1, 2, 5]) {
      for (const lengthSize of [1, 2, 5, 6]) {
        const where = `tag ${tagSize} bytes, lengths ${lengthSize} bytes`;
        expect(validateProtobuf(type, request(span(Buffer.from('GET /'), tagSize, lengthSize), lengthSize)), where).toEqual({ items: 1, invalidItems: 0 });
        expect(() => validateProtobuf(type, request(span(Buffer.from([0x61, 0xff]), tagSize, lengthSize), lengthSize)), where).toThrow(new OtlpDecodeError('Span.name is not valid UTF-8'));
      }
    }
    // Span.spanId with a two-byte tag: still an id of 8 bytes.
    expect(() => validateProtobuf(type, request(field(2, 2, Buffer.alloc(7), 2)))).toThrow(new OtlpDecodeError('Span.spanId must be 8 bytes, found 7'));
    // A length of 2^28 + 5 (five bytes) runs past the end, and says by how much it was asked.
    expect(() => validateProtobuf(type, Buffer.concat([Buffer.from([0x0a]), varint(2 ** 28 + 5, 5), Buffer.alloc(5)]))).toThrow(
      new OtlpDecodeError(`length ${2 ** 28 + 5} of ExportTraceServiceRequest.resourceSpans runs past the end of ExportTraceServiceRequest`),
    );
    // Span.kind (an enum: varint) sent length-delimited: wrong wire type, but a length that runs past the end is reported first.
    expect(() => validateProtobuf(type, request(field(6, 2, Buffer.from([1]))))).toThrow(new OtlpDecodeError('Span.kind expected wire type 0, found 2'));
    expect(() => validateProtobuf(type, request(Buffer.from([0x32, 0x05, 0x01])))).toThrow(/^length 5 of Span.kind runs past the end of Span$/);
    expect(() => validateProtobuf(type, request(field(7, 0, Buffer.from([1]))))).toThrow(new OtlpDecodeError('Span.startTimeUnixNano expected wire type 1, found 0'));
    expect(() => validateProtobuf(type, request(field(7, 1, Buffer.alloc(7))))).toThrow(new OtlpDecodeError('truncated 64-bit value in Span.startTimeUnixNano'));
    expect(() => validateProtobuf(type, Buffer.from([0x02, 0x00]))).toThrow(new OtlpDecodeError('field number 0 in ExportTraceServiceRequest'));
    expect(() => validateProtobuf(type, Buffer.from([0x0b]))).toThrow(new OtlpDecodeError('unsupported wire type 3 (field 1 of ExportTraceServiceRequest)'));
    expect(() => validateProtobuf(type, Buffer.from([0x8b, 0x80, 0x00]))).toThrow(new OtlpDecodeError('unsupported wire type 3 (field 1 of ExportTraceServiceRequest)'));
    // Unknown fields of every wire type, with one-byte and longer tags, are skipped.
    const unknown = Buffer.concat([field(15, 0, Buffer.from([0x80, 0x01])), field(14, 1, Buffer.alloc(8)), field(13, 5, Buffer.alloc(4)), field(12, 2, Buffer.from('x')), field(2000, 2, Buffer.from('y'), 2)]);
    expect(validateProtobuf(type, Buffer.concat([request(span(Buffer.from('a'))), unknown]))).toEqual({ items: 1, invalidItems: 0 });
  });

  it('rejects a varint that never ends', () => {
    expect(() => validateProtobuf(SIGNALS.traces.requestType, Buffer.from([0x98, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/longer than 10 bytes/);
  });
});
