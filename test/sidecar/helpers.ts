import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SIGNALS, type SignalName } from '../../src/otlp/index.js';
import { pollUntilTrue } from '../helpers/poll.js';

export interface ReceivedRequest {
  readonly signal: SignalName;
  readonly contentType: string;
  readonly contentEncoding: string;
  /** The request's Transfer-Encoding ('' when it had a Content-Length). */
  readonly transferEncoding: string;
  readonly authorization: string | undefined;
  readonly spanIds: string[];
  readonly items: number;
  readonly status: number;
}

export type Responder = (index: number, signal: SignalName) => { status: number; headers?: Record<string, string>; body?: Buffer } | 'destroy';

/**
 * The collector stand-in: a real HTTP server that gunzips and decodes every
 * export request it gets (with the OTLP definitions, not by trusting the
 * sidecar's counts) and answers as `respond` says.
 */
export class TestUpstream {
  readonly requests: ReceivedRequest[] = [];
  /** Span ids the upstream answered 2xx for, in arrival order (duplicates kept). */
  readonly acceptedSpanIds: string[] = [];
  private waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  private server: Server;
  url = '';
  respond: Responder = () => ({ status: 200 });

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(port = 0): Promise<this> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const signal = (req.url ?? '').replace('/v1/', '') as SignalName;
    const answer = this.respond(this.requests.length, signal);
    if (answer === 'destroy') {
      req.socket.destroy();
      return;
    }
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const type = SIGNALS[signal].requestType;
    const decoded = type.toObject(type.decode(body), { bytes: String, longs: String }) as Record<string, unknown>;
    const spanIds: string[] = [];
    let items = 0;
    for (const rs of (decoded.resourceSpans as { scopeSpans?: { spans?: { spanId: string }[] }[] }[] | undefined) ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) spanIds.push(Buffer.from(span.spanId, 'base64').toString('hex'));
      }
    }
    items += spanIds.length;
    for (const rl of (decoded.resourceLogs as { scopeLogs?: { logRecords?: unknown[] }[] }[] | undefined) ?? []) for (const sl of rl.scopeLogs ?? []) items += sl.logRecords?.length ?? 0;
    this.requests.push({
      signal,
      contentType: String(req.headers['content-type']),
      contentEncoding: String(req.headers['content-encoding'] ?? ''),
      transferEncoding: String(req.headers['transfer-encoding'] ?? ''),
      authorization: req.headers.authorization,
      spanIds,
      items,
      status: answer.status,
    });
    if (answer.status >= 200 && answer.status < 300) this.acceptedSpanIds.push(...spanIds);
    res.writeHead(answer.status, { 'content-type': 'application/x-protobuf', ...answer.headers });
    res.end(answer.body ?? Buffer.alloc(0));
    this.check();
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when the predicate holds after a request; rejects after `timeoutMillis` (a deadline, not a sleep). */
  waitFor(predicate: () => boolean, what: string, timeoutMillis = 30_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), timeoutMillis);
      this.waiters.push({
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  waitForSpans(count: number, timeoutMillis?: number): Promise<void> {
    return this.waitFor(() => new Set(this.acceptedSpanIds).size >= count, `${count} distinct spans at the upstream`, timeoutMillis);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `predicate` holds or the deadline passes (readiness polling, not a sleep for ordering). */
export function eventually(predicate: () => boolean | Promise<boolean>, what: string, timeoutMillis = 30_000): Promise<void> {
  return pollUntilTrue(what, predicate, { timeoutMillis });
}

/** Builds a valid OTLP/JSON traces request with `n` spans, returning it and its span ids. */
export function jsonTraces(n: number, seed: number): { body: Record<string, unknown>; spanIds: string[] } {
  const spanIds: string[] = [];
  const spans = [];
  for (let i = 0; i < n; i++) {
    const spanId = (seed * 1_000_000 + i + 1).toString(16).padStart(16, '0');
    spanIds.push(spanId);
    spans.push({
      traceId: seed.toString(16).padStart(32, '0'),
      spanId,
      name: `span-${i}`,
      kind: 2,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000001000000',
      attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }],
    });
  }
  return { body: { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'test' } }] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] }, spanIds };
}
