/** What one upstream export attempt came to. The network edge returns these instead of throwing. */
export type ExportResult =
  | { readonly status: 'success'; readonly rejectedItems: number; readonly message?: string }
  | { readonly status: 'retryable'; readonly reason: string; readonly retryAfterMillis?: number }
  | { readonly status: 'failure'; readonly reason: string };

/**
 * One uncompressed protobuf export request: its bytes, or the export requests
 * a batch holds, in order (concatenated protobuf messages of one type decode
 * as one message holding all of them). A batch is handed over as its parts so
 * that they need not be copied into one large buffer: at 26 KB requests such
 * copies were half of the sidecar's allocations outside V8's heap, and V8 ran
 * a full mark-compact ~24 times a second to keep up with them (--trace-gc).
 */
export type UpstreamBody = Uint8Array | readonly Uint8Array[];

export interface UpstreamTransport {
  /** Sends one export request. Never throws for network or HTTP errors. */
  send(body: UpstreamBody, timeoutMillis: number, abort?: AbortSignal): Promise<ExportResult>;
  close(): Promise<void>;
}

export function bodyLength(body: UpstreamBody): number {
  if (body instanceof Uint8Array) return body.length;
  let length = 0;
  for (const part of body) length += part.length;
  return length;
}

/** The body in one buffer, for what needs it whole (gzip, the file: writer). */
export function bodyBytes(body: UpstreamBody): Uint8Array {
  if (body instanceof Uint8Array) return body;
  return body.length === 1 ? body[0]! : Buffer.concat(body);
}

/** OTLP/HTTP: these statuses mean "try again later"; every other non-2xx is final. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/**
 * The one place that decides what is retryable, for HTTP answers and for
 * errors thrown below HTTP (connection refused, reset, timeouts, DNS).
 */
export function classifyHttpStatus(status: number, retryAfter: string | string[] | undefined, nowMillis: number): ExportResult | null {
  if (status >= 200 && status < 300) return null;
  if (RETRYABLE_STATUS.has(status)) {
    const retryAfterMillis = parseRetryAfter(retryAfter, nowMillis);
    return retryAfterMillis === undefined ? { status: 'retryable', reason: `HTTP ${status}` } : { status: 'retryable', reason: `HTTP ${status}`, retryAfterMillis };
  }
  return { status: 'failure', reason: `HTTP ${status}` };
}

export function classifyError(error: unknown): ExportResult {
  const e = error as { code?: string; name?: string; message?: string };
  // Anything that went wrong before an HTTP answer arrived (refused, reset,
  // timed out, DNS, TLS handshake) may well work on a later attempt.
  return { status: 'retryable', reason: e.code ?? e.name ?? String(e.message ?? error) };
}

/** Retry-After is either delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | string[] | undefined, nowMillis: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMillis);
}
