import { gunzip } from 'node:zlib';
import type { Logger } from '../logger.js';
import { OtlpDecodeError, SIGNALS, dropInvalidItems, encodeMessage, jsonToProtobuf, lookupType, validateProtobuf, type Signal, type SignalName, type ValidationStats } from '../otlp/index.js';
import type { SidecarConfig } from './config.js';
import type { AbortedRequest, Http1Handler, Http1Request as Request, Http1Response as Response } from './http1.js';
import { Counter, type RejectReason, type SidecarMetrics } from './metrics.js';
import type { Pipeline } from './pipeline.js';

const rpcStatus = lookupType('RpcStatus');

/** Seconds a client is told to wait when the sidecar is full. */
const RETRY_AFTER_SECONDS = '2';

// The answers' bodies are strings: the HTTP server writes a string body with the head, in one write.
const OK_PROTOBUF = { body: '', headers: ['content-type', 'application/x-protobuf', 'content-length', '0'] };
const OK_JSON = { body: '{}', headers: ['content-type', 'application/json', 'content-length', '2'] };

const ROUTES = new Map<string, Signal>(Object.values(SIGNALS).map((s) => [s.path, s]));

export type Transport = 'tcp' | 'unix';

export interface ReceiverDeps {
  readonly config: SidecarConfig;
  readonly pipeline: Pipeline;
  readonly metrics: SidecarMetrics;
  readonly log: Logger;
  readonly readiness: () => { ready: boolean; reason: string };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * OTLP/HTTP receiver: validates and queues a body, answers at once (never
 * after the upstream). Cost per request is bounded by maxRequestBytes on the
 * wire and maxDecompressedBytes after gunzip; validation is linear in it.
 */
export function createRequestHandler(deps: ReceiverDeps, transport: Transport): Http1Handler {
  const enabled = new Set<SignalName>(deps.config.signals);
  const receivedKeys = new Map(Object.values(SIGNALS).map((s) => [s.name, Counter.key(s.name, transport)]));
  return (req, res) => {
    const pathname = pathOf(req.url);
    const signal = ROUTES.get(pathname);
    if (!signal) {
      if (req.method === 'GET' || req.method === 'HEAD') return serveOps(deps, pathname, res);
      deps.metrics.rejected('none', 'not_found');
      return plain(res, 404, 'not found\n');
    }
    if (req.method !== 'POST') {
      deps.metrics.rejected(signal.name, 'method_not_allowed');
      res.setHeader('allow', 'POST');
      return plain(res, 405, 'method not allowed: OTLP export requests are POSTs\n');
    }
    deps.metrics.requestsReceived.incKey(receivedKeys.get(signal.name)!);
    handleExport(deps, signal, enabled.has(signal.name), req, res);
  };
}

/** The request target without its query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Counts an export request whose client went away before its body was whole: received, and refused as undecodable. */
export function createAbortCounter(deps: ReceiverDeps, transport: Transport): (request: AbortedRequest) => void {
  return (request) => {
    const signal = ROUTES.get(pathOf(request.url));
    if (!signal || request.method !== 'POST') return;
    deps.metrics.requestsReceived.incKey(Counter.key(signal.name, transport));
    deps.metrics.rejected(signal.name, 'undecodable');
    deps.log.debug({ signal: signal.name }, 'export request abandoned: the client closed the connection before the body ended');
  };
}

/**
 * One export request, its body already read, in callbacks rather than
 * async/await: the common path (validate, queue in memory, answer) then runs
 * without a promise or microtask hop. Every step goes through `guard`, which
 * turns an HttpError into its answer and anything else into a logged 500.
 */
function handleExport(deps: ReceiverDeps, signal: Signal, enabled: boolean, req: Request, res: Response): void {
  const contentType = mediaType(req.headers['content-type']);
  const json = contentType === 'application/json';
  guard(deps, signal, json, res, () => {
    if (!json && contentType !== 'application/x-protobuf') {
      throw new HttpError(415, 'bad_content_type', `expected Content-Type application/x-protobuf or application/json, found '${contentType || '(none)'}'`);
    }
    const encoding = req.headers['content-encoding'] === undefined ? 'identity' : req.headers['content-encoding'].trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
      throw new HttpError(415, 'bad_content_type', `expected Content-Encoding gzip or none, found '${encoding}'`);
    }
    const { maxRequestBytes, maxDecompressedBytes } = deps.config;
    if (req.bodyTooLarge) {
      const declared = req.headers['content-length'];
      throw new HttpError(413, 'too_large', declared === undefined ? `body is over the limit of ${maxRequestBytes} bytes` : `body of ${declared} bytes is over the limit of ${maxRequestBytes}`);
    }
    if (encoding === 'identity') return receive(deps, signal, enabled, json, req.body, res);
    gunzip(req.body, { maxOutputLength: maxDecompressedBytes }, (gzipError, inflated) => {
      guard(deps, signal, json, res, () => {
        if (gzipError) {
          if ((gzipError as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
            throw new HttpError(413, 'too_large', `body inflates to more than the limit of ${maxDecompressedBytes} bytes`);
          }
          throw new HttpError(400, 'undecodable', `body is not valid gzip: ${gzipError.message}`);
        }
        receive(deps, signal, enabled, json, inflated, res);
      });
    });
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  // The usual exact values skip the split and trim.
  if (header === 'application/x-protobuf' || header === 'application/json') return header;
  return header.split(';')[0]!.trim().toLowerCase();
}

/** A body read in full: validates (or transcodes) it, queues it and answers. */
function receive(deps: ReceiverDeps, signal: Signal, enabled: boolean, json: boolean, body: Buffer, res: Response): void {
  let payload: Buffer;
  let items: number;
  let rejected = 0;
  try {
    // The JSON transcoder checks as it writes (ids' lengths, well-formed strings, nesting) and counts
    // items like the validator, so its output is not walked a second time.
    let stats: ValidationStats;
    if (json) {
      const transcoded = jsonToProtobuf(signal.requestType, body);
      payload = transcoded.bytes;
      stats = transcoded;
    } else {
      payload = body;
      stats = validateProtobuf(signal.requestType, payload);
    }
    items = stats.items;
    if (stats.invalidItems > 0) {
      const filtered = dropInvalidItems(signal, payload);
      payload = filtered.bytes;
      rejected = filtered.rejected;
    }
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw new HttpError(400, 'undecodable', error.message);
    throw error;
  }
  deps.metrics.itemsReceived.incKey(signal.name, items);
  if (!enabled) {
    // Dropped at the door on purpose (e.g. logs may carry content); a 200 stops the client retrying.
    deps.metrics.rejected(signal.name, 'signal_disabled');
    deps.metrics.dropped(signal.name, 'signal_disabled', items);
    return exportResponse(res, signal, json, items, `signal ${signal.name} is disabled in this tracekit sidecar (--signals)`);
  }
  // The pipeline copies a small request into its batch's arena; a large one is kept as the view it is
  // (of the socket read it arrived in, which holds little more than it).
  const accepted = items - rejected;
  if (accepted === 0 || deps.pipeline.acceptNow(signal.name, payload, accepted)) return answer(deps, signal, json, res, items, accepted, rejected);
  // Memory is full (or durable mode): wait for the spool.
  deps.pipeline.accept(signal.name, payload, accepted).then(
    (result) =>
      guard(deps, signal, json, res, () => {
        if (result === 'full') throw new HttpError(503, 'queue_full', 'queue and spool are full; retry later');
        answer(deps, signal, json, res, items, accepted, rejected);
      }),
    (error: unknown) => guard(deps, signal, json, res, () => {
      throw error;
    }),
  );
}

function answer(deps: ReceiverDeps, signal: Signal, json: boolean, res: Response, items: number, accepted: number, rejected: number): void {
  deps.metrics.itemsAccepted.incKey(signal.name, accepted);
  if (rejected > 0) {
    deps.metrics.dropped(signal.name, 'partial_success', rejected);
    return exportResponse(res, signal, json, rejected, `${rejected} of ${items} spans have no trace id or span id; they were rejected, the rest accepted`);
  }
  // The common answer, built once: an empty export response.
  const ok = json ? OK_JSON : OK_PROTOBUF;
  res.writeHead(200, ok.headers);
  res.end(ok.body);
}

/** Runs one step; an HttpError becomes its answer, anything else a logged 500. */
function guard(deps: ReceiverDeps, signal: Signal, json: boolean, res: Response, step: () => void): void {
  try {
    step();
  } catch (error) {
    if (error instanceof HttpError) return reject(deps, signal, json, res, error);
    deps.log.error({ err: error, signal: signal.name }, 'unexpected error handling an export request');
    if (!res.headersSent) plain(res, 500, 'internal error\n');
  }
}

function reject(deps: ReceiverDeps, signal: Signal, json: boolean, res: Response, error: HttpError): void {
  deps.metrics.rejected(signal.name, error.reason);
  if (error.status >= 500) res.setHeader('retry-after', RETRY_AFTER_SECONDS);
  // After a 413 the HTTP server reads and drops the rest of the body (up to a bound), so the client can
  // read its answer, then closes the connection.
  deps.log.debug({ signal: signal.name, status: error.status, reason: error.reason, detail: error.message }, 'export request rejected');
  sendStatus(res, error.status, error.message, json);
}

function exportResponse(res: Response, signal: Signal, json: boolean, rejected: number, message: string): void {
  const body = rejected > 0 ? { partialSuccess: { [signal.rejectedField]: json ? String(rejected) : rejected, errorMessage: message } } : {};
  const bytes = encodeMessage(signal.responseType, body, json);
  res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf', 'content-length': bytes.length });
  res.end(bytes);
}

function sendStatus(res: Response, status: number, message: string, json: boolean): void {
  const code = status === 400 ? 3 : status === 413 ? 8 : status === 415 ? 3 : 14; // google.rpc.Code: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE
  const bytes = encodeMessage(rpcStatus, { code, message }, json);
  res.writeHead(status, { 'content-type': json ? 'application/json' : 'application/x-protobuf', 'content-length': bytes.length });
  res.end(bytes);
}

function plain(res: Response, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function serveOps(deps: ReceiverDeps, pathname: string, res: Response): void {
  switch (pathname) {
    case '/healthz':
      return plain(res, 200, 'ok\n');
    case '/readyz': {
      const { ready, reason } = deps.readiness();
      return plain(res, ready ? 200 : 503, `${ready ? 'ready' : 'not ready'}: ${reason}\n`);
    }
    case '/metrics':
      return plain(res, 200, deps.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
    default:
      deps.metrics.rejected('none', 'not_found');
      return plain(res, 404, 'not found\n');
  }
}
