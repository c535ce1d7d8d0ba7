import type { Signal } from './signals.js';

interface SpanLike {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
}
interface TracesRequestLike {
  resourceSpans?: { scopeSpans?: { spans?: SpanLike[] }[] }[];
}

/**
 * Removes the items validation marked invalid (spans without a trace or span
 * id) and re-encodes the request. The rare path: it builds objects, so it runs
 * only when validateProtobuf counted invalid items.
 */
export function dropInvalidItems(signal: Signal, bytes: Uint8Array): { bytes: Buffer; rejected: number } {
  if (signal.name !== 'traces') return { bytes: Buffer.from(bytes), rejected: 0 };
  const type = signal.requestType;
  const message = type.decode(bytes) as unknown as TracesRequestLike;
  let rejected = 0;
  for (const rs of message.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      const spans = ss.spans ?? [];
      const kept = spans.filter((s) => s.traceId?.length === 16 && s.spanId?.length === 8);
      rejected += spans.length - kept.length;
      ss.spans = kept;
    }
  }
  const out = type.encode(message as never).finish();
  return { bytes: Buffer.from(out), rejected };
}
