import protobuf from 'protobufjs';

/**
 * OTLP message definitions (opentelemetry-proto, v1 of common, resource,
 * trace, metrics, logs and the three collector services), written as a
 * protobufjs JSON descriptor. Field names are the lowerCamelCase names that
 * OTLP/JSON uses, so decoded objects and JSON documents share keys. Only the
 * field numbers and types are taken from the specification.
 */

type Fields = Record<string, { type: string; id: number; rule?: 'repeated'; options?: Record<string, unknown> }>;

const rep = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });
const packed = (type: string, id: number) => ({ type, id, rule: 'repeated' as const, options: { packed: true } });
const one = (type: string, id: number) => ({ type, id });
const msg = (fields: Fields, oneofs?: Record<string, string[]>) => ({
  fields,
  ...(oneofs ? { oneofs: Object.fromEntries(Object.entries(oneofs).map(([k, v]) => [k, { oneof: v }])) } : {}),
});

const descriptor = {
  nested: {
    otlp: {
      nested: {
        // -- common ------------------------------------------------------------
        AnyValue: msg(
          {
            stringValue: one('string', 1),
            boolValue: one('bool', 2),
            intValue: one('int64', 3),
            doubleValue: one('double', 4),
            arrayValue: one('ArrayValue', 5),
            kvlistValue: one('KeyValueList', 6),
            bytesValue: one('bytes', 7),
          },
          { value: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] },
        ),
        ArrayValue: msg({ values: rep('AnyValue', 1) }),
        KeyValueList: msg({ values: rep('KeyValue', 1) }),
        KeyValue: msg({ key: one('string', 1), value: one('AnyValue', 2) }),
        InstrumentationScope: msg({
          name: one('string', 1),
          version: one('string', 2),
          attributes: rep('KeyValue', 3),
          droppedAttributesCount: one('uint32', 4),
        }),
        EntityRef: msg({
          schemaUrl: one('string', 1),
          type: one('string', 2),
          idKeys: rep('string', 3),
          descriptionKeys: rep('string', 4),
        }),
        Resource: msg({ attributes: rep('KeyValue', 1), droppedAttributesCount: one('uint32', 2), entityRefs: rep('EntityRef', 3) }),

        // -- traces ------------------------------------------------------------
        ResourceSpans: msg({ resource: one('Resource', 1), scopeSpans: rep('ScopeSpans', 2), schemaUrl: one('string', 3) }),
        ScopeSpans: msg({ scope: one('InstrumentationScope', 1), spans: rep('Span', 2), schemaUrl: one('string', 3) }),
        Span: msg({
          traceId: one('bytes', 1),
          spanId: one('bytes', 2),
          traceState: one('string', 3),
          parentSpanId: one('bytes', 4),
          flags: one('fixed32', 16),
          name: one('string', 5),
          kind: one('SpanKind', 6),
          startTimeUnixNano: one('fixed64', 7),
          endTimeUnixNano: one('fixed64', 8),
          attributes: rep('KeyValue', 9),
          droppedAttributesCount: one('uint32', 10),
          events: rep('SpanEvent', 11),
          droppedEventsCount: one('uint32', 12),
          links: rep('SpanLink', 13),
          droppedLinksCount: one('uint32', 14),
          status: one('Status', 15),
        }),
        SpanEvent: msg({
          timeUnixNano: one('fixed64', 1),
          name: one('string', 2),
          attributes: rep('KeyValue', 3),
          droppedAttributesCount: one('uint32', 4),
        }),
        SpanLink: msg({
          traceId: one('bytes', 1),
          spanId: one('bytes', 2),
          traceState: one('string', 3),
          attributes: rep('KeyValue', 4),
          droppedAttributesCount: one('uint32', 5),
          flags: one('fixed32', 6),
        }),
        Status: msg({ message: one('string', 2), code: one('StatusCode', 3) }),
        SpanKind: { values: { SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 } },
        StatusCode: { values: { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 } },

        // -- metrics -----------------------------------------------------------
        ResourceMetrics: msg({ resource: one('Resource', 1), scopeMetrics: rep('ScopeMetrics', 2), schemaUrl: one('string', 3) }),
        ScopeMetrics: msg({ scope: one('InstrumentationScope', 1), metrics: rep('Metric', 2), schemaUrl: one('string', 3) }),
        Metric: msg(
          {
            name: one('string', 1),
            description: one('string', 2),
            unit: one('string', 3),
            gauge: one('Gauge', 5),
            sum: one('Sum', 7),
            histogram: one('Histogram', 9),
            exponentialHistogram: one('ExponentialHistogram', 10),
            summary: one('Summary', 11),
            metadata: rep('KeyValue', 12),
          },
          { data: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] },
        ),
        Gauge: msg({ dataPoints: rep('NumberDataPoint', 1) }),
        Sum: msg({ dataPoints: rep('NumberDataPoint', 1), aggregationTemporality: one('AggregationTemporality', 2), isMonotonic: one('bool', 3) }),
        Histogram: msg({ dataPoints: rep('HistogramDataPoint', 1), aggregationTemporality: one('AggregationTemporality', 2) }),
        ExponentialHistogram: msg({ dataPoints: rep('ExponentialHistogramDataPoint', 1), aggregationTemporality: one('AggregationTemporality', 2) }),
        Summary: msg({ dataPoints: rep('SummaryDataPoint', 1) }),
        AggregationTemporality: { values: { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 } },
        NumberDataPoint: msg(
          {
            attributes: rep('KeyValue', 7),
            startTimeUnixNano: one('fixed64', 2),
            timeUnixNano: one('fixed64', 3),
            asDouble: one('double', 4),
            asInt: one('sfixed64', 6),
            exemplars: rep('Exemplar', 5),
            flags: one('uint32', 8),
          },
          { value: ['asDouble', 'asInt'] },
        ),
        HistogramDataPoint: msg({
          attributes: rep('KeyValue', 9),
          startTimeUnixNano: one('fixed64', 2),
          timeUnixNano: one('fixed64', 3),
          count: one('fixed64', 4),
          sum: one('double', 5),
          bucketCounts: packed('fixed64', 6),
          explicitBounds: packed('double', 7),
          exemplars: rep('Exemplar', 8),
          flags: one('uint32', 10),
          min: one('double', 11),
          max: one('double', 12),
        }),
        ExponentialHistogramDataPoint: msg({
          attributes: rep('KeyValue', 1),
          startTimeUnixNano: one('fixed64', 2),
          timeUnixNano: one('fixed64', 3),
          count: one('fixed64', 4),
          sum: one('double', 5),
          scale: one('sint32', 6),
          zeroCount: one('fixed64', 7),
          positive: one('ExponentialBuckets', 8),
          negative: one('ExponentialBuckets', 9),
          flags: one('uint32', 10),
          exemplars: rep('Exemplar', 11),
          min: one('double', 12),
          max: one('double', 13),
          zeroThreshold: one('double', 14),
        }),
        ExponentialBuckets: msg({ offset: one('sint32', 1), bucketCounts: packed('uint64', 2) }),
        SummaryDataPoint: msg({
          attributes: rep('KeyValue', 7),
          startTimeUnixNano: one('fixed64', 2),
          timeUnixNano: one('fixed64', 3),
          count: one('fixed64', 4),
          sum: one('double', 5),
          quantileValues: rep('ValueAtQuantile', 6),
          flags: one('uint32', 8),
        }),
        ValueAtQuantile: msg({ quantile: one('double', 1), value: one('double', 2) }),
        Exemplar: msg(
          {
            filteredAttributes: rep('KeyValue', 7),
            timeUnixNano: one('fixed64', 2),
            asDouble: one('double', 3),
            asInt: one('sfixed64', 6),
            spanId: one('bytes', 4),
            traceId: one('bytes', 5),
          },
          { value: ['asDouble', 'asInt'] },
        ),

        // -- logs --------------------------------------------------------------
        ResourceLogs: msg({ resource: one('Resource', 1), scopeLogs: rep('ScopeLogs', 2), schemaUrl: one('string', 3) }),
        ScopeLogs: msg({ scope: one('InstrumentationScope', 1), logRecords: rep('LogRecord', 2), schemaUrl: one('string', 3) }),
        LogRecord: msg({
          timeUnixNano: one('fixed64', 1),
          observedTimeUnixNano: one('fixed64', 11),
          severityNumber: one('int32', 2),
          severityText: one('string', 3),
          body: one('AnyValue', 5),
          attributes: rep('KeyValue', 6),
          droppedAttributesCount: one('uint32', 7),
          flags: one('fixed32', 8),
          traceId: one('bytes', 9),
          spanId: one('bytes', 10),
          eventName: one('string', 12),
        }),

        // -- collector services ------------------------------------------------
        ExportTraceServiceRequest: msg({ resourceSpans: rep('ResourceSpans', 1) }),
        ExportTraceServiceResponse: msg({ partialSuccess: one('ExportTracePartialSuccess', 1) }),
        ExportTracePartialSuccess: msg({ rejectedSpans: one('int64', 1), errorMessage: one('string', 2) }),
        ExportMetricsServiceRequest: msg({ resourceMetrics: rep('ResourceMetrics', 1) }),
        ExportMetricsServiceResponse: msg({ partialSuccess: one('ExportMetricsPartialSuccess', 1) }),
        ExportMetricsPartialSuccess: msg({ rejectedDataPoints: one('int64', 1), errorMessage: one('string', 2) }),
        ExportLogsServiceRequest: msg({ resourceLogs: rep('ResourceLogs', 1) }),
        ExportLogsServiceResponse: msg({ partialSuccess: one('ExportLogsPartialSuccess', 1) }),
        ExportLogsPartialSuccess: msg({ rejectedLogRecords: one('int64', 1), errorMessage: one('string', 2) }),

        // google.rpc.Status, the body of OTLP/HTTP error responses (details left out).
        RpcStatus: msg({ code: one('int32', 1), message: one('string', 2) }),
      },
    },
  },
};

export const root: protobuf.Root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
root.resolveAll();

export function lookupType(name: string): protobuf.Type {
  return root.lookupType(`otlp.${name}`);
}

/** Fields whose bytes are trace or span ids (hex in OTLP/JSON), with their required length. */
export const ID_FIELDS: ReadonlyMap<string, number> = new Map([
  ['Span.traceId', 16],
  ['Span.spanId', 8],
  ['Span.parentSpanId', 8],
  ['SpanLink.traceId', 16],
  ['SpanLink.spanId', 8],
  ['LogRecord.traceId', 16],
  ['LogRecord.spanId', 8],
  ['Exemplar.traceId', 16],
  ['Exemplar.spanId', 8],
]);

/** Repeated fields whose elements are the items a signal counts: spans, data points, log records. */
export const ITEM_FIELDS: ReadonlySet<string> = new Set([
  'ScopeSpans.spans',
  'ScopeLogs.logRecords',
  'Gauge.dataPoints',
  'Sum.dataPoints',
  'Histogram.dataPoints',
  'ExponentialHistogram.dataPoints',
  'Summary.dataPoints',
]);

/** Fields an item cannot do without: the spec calls a span with an empty trace or span id invalid. */
export const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['Span.traceId', 'Span.spanId']);
