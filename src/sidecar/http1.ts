import { createServer, type Server, type Socket } from 'node:net';

/**
 * The sidecar's own HTTP/1.1 server, on node:net.
 *
 * Why not node:http: the receiver's work per request is small (check a body,
 * queue it, answer), so node:http's per-request machinery (an IncomingMessage
 * stream, a ServerResponse, a parser callback per body chunk) was most of the
 * sidecar's CPU. Under wrk -c8 on this project's 2-core machine a server on
 * node:net that reads the same POSTs spent 12.4 µs per 316-byte request
 * against 15.8 µs for node:http, and 17.5 against 22.2 µs per 26.5 KB request
 * (bench/sidecar/http-layer.mjs, both with steady glibc heaps).
 *
 * What it serves is what OTLP/HTTP clients send: requests with a
 * Content-Length or a chunked body, keep-alive, pipelining, `Expect:
 * 100-continue`. It is strict where leniency lets requests be smuggled or
 * misread: a request with both Content-Length and Transfer-Encoding, differing
 * Content-Lengths, a transfer coding other than chunked, a folded or malformed
 * header line, or a header section over maxHeaderBytes is refused with 4xx/5xx
 * and the connection closed. Each request reaches the handler once, whole,
 * with its body read (or marked over the limit and discarded); answers go out
 * in request order, one request at a time per connection.
 */

export interface Http1Request {
  readonly method: string;
  /** The request target as sent (origin-form for OTLP clients: a path and an optional query). */
  readonly url: string;
  /** Header names lower-cased; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body (empty when there is none, or when it was over the limit). */
  readonly body: Buffer;
  /** The body was over maxBodyBytes, declared or received: it is discarded, and the connection closes after the answer. */
  readonly bodyTooLarge: boolean;
}

/** The part of an answer the handler builds; the server adds Date, Connection and Keep-Alive. */
export interface Http1Response {
  /** True once the answer has been handed to the socket. */
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number): void;
  /** Status and headers (a flat [name, value, …] list or a record); written with the body by end(). */
  writeHead(status: number, headers?: readonly (string | number)[] | Readonly<Record<string, string | number>>): void;
  /** Writes the answer in one go; a string body as UTF-8. */
  end(body?: string | Uint8Array): void;
}

export type Http1Handler = (req: Http1Request, res: Http1Response) => void;

/** What started and did not end: the request line and headers of a request whose body never came whole. */
export interface AbortedRequest {
  readonly method: string;
  readonly url: string;
}

export interface Http1ServerOptions {
  readonly maxBodyBytes: number;
  /** Request line plus headers. Over it: 431. */
  readonly maxHeaderBytes?: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMillis?: number;
  /** From a request's first byte to the end of its headers; over it: 408 and close. */
  readonly headersTimeoutMillis?: number;
  /** From a request's first byte to the end of its body (headers included). */
  readonly requestTimeoutMillis?: number;
  /** After a body over the limit, how much more is read and dropped (so the client can read its 413) before the connection is cut. */
  readonly maxDiscardBytes?: number;
  /** Called for a request whose client went away (or timed out) before its body was whole. */
  readonly onAborted?: (request: AbortedRequest) => void;
  /** Called when the handler throws: the server then answers 500 and closes the connection. */
  readonly onHandlerError?: (error: unknown) => void;
}

export interface Http1Server {
  readonly listener: Server;
  /** Stops accepting, closes idle connections at once and the others after their answer; resolves when all are closed. */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxHeaderBytes: 16 * 1024,
  keepAliveTimeoutMillis: 65_000,
  headersTimeoutMillis: 60_000,
  requestTimeoutMillis: 300_000,
  maxDiscardBytes: 64 * 1024 * 1024,
};

/** How often deadlines are checked and the cached clock and Date header are renewed. */
const TICK_MILLIS = 1000;
/** Past this many bytes of answers the client has not read, reading from it pauses until they drain. */
const MAX_UNREAD_ANSWER_BYTES = 64 * 1024;
/** After an answer that closes the connection, how long a client that keeps it open is waited for. */
const LINGER_MILLIS = 10_000;
/** A chunk-size line (with extensions) longer than this is refused. */
const MAX_CHUNK_LINE_BYTES = 4096;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** RFC 9110 token characters: methods and header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters a request target or a header value may not hold (controls other than tab; DEL). */
const FORBIDDEN_IN_TARGET = /[\x00-\x20\x7f]/;
const FORBIDDEN_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

const REASONS: Record<number, string> = {
  100: 'Continue', 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  413: 'Content Too Large', 415: 'Unsupported Media Type', 417: 'Expectation Failed', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

const enum State {
  /** Between requests, or reading a request's head. */
  Head,
  /** Reading a Content-Length body. */
  Body,
  ChunkSize,
  ChunkData,
  /** The CRLF after a chunk's data. */
  ChunkEnd,
  Trailers,
  /** The request went to the handler; later bytes wait until it has answered. */
  Answering,
  /** After a body over the limit: everything read is dropped until the connection closes. */
  Discard,
  Closed,
}

class Clock {
  now = Date.now();
  date = new Date(this.now).toUTCString();
  tick(): void {
    this.now = Date.now();
    this.date = new Date(this.now).toUTCString();
  }
}

interface Head {
  method: string;
  url: string;
  minor: number;
  headers: Record<string, string>;
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
}

type HeadError = { status: number; message: string };

export function createHttp1Server(handler: Http1Handler, options: Http1ServerOptions): Http1Server {
  const settings = { ...DEFAULTS, ...stripUndefined(options), maxBodyBytes: options.maxBodyBytes };
  const connections = new Set<Connection>();
  const clock = new Clock();
  let closing = false;
  let closed: Promise<void> | null = null;
  let allClosed: (() => void) | null = null;

  const keepAliveSeconds = Math.max(1, Math.floor(settings.keepAliveTimeoutMillis / 1000));
  const shared: Shared = {
    settings,
    handler,
    clock,
    keepAlive11: `keep-alive: timeout=${keepAliveSeconds}\r\n\r\n`,
    keepAlive10: `connection: keep-alive\r\nkeep-alive: timeout=${keepAliveSeconds}\r\n\r\n`,
    get closing() {
      return closing;
    },
    forget(connection) {
      connections.delete(connection);
      if (closing && connections.size === 0) allClosed?.();
    },
  };

  const listener = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    connections.add(new Connection(socket, shared));
  });

  const ticker = setInterval(() => {
    clock.tick();
    for (const connection of connections) connection.checkDeadline(clock.now);
  }, TICK_MILLIS);
  ticker.unref();

  return {
    listener,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        const listening = new Promise<void>((done) => {
          if (listener.listening) listener.close(() => done());
          else done();
        });
        const drained = new Promise<void>((done) => {
          allClosed = done;
          for (const connection of [...connections]) connection.closeWhenIdle();
          if (connections.size === 0) done();
        });
        void Promise.all([listening, drained]).then(() => {
          clearInterval(ticker);
          resolve();
        });
      });
      return closed;
    },
  };
}

interface Shared {
  readonly settings: Required<Omit<Http1ServerOptions, 'onAborted' | 'onHandlerError'>> & Pick<Http1ServerOptions, 'onAborted' | 'onHandlerError'>;
  readonly handler: Http1Handler;
  readonly clock: Clock;
  /** The end of a kept-alive answer's head, for HTTP/1.1 and HTTP/1.0 clients. */
  readonly keepAlive11: string;
  readonly keepAlive10: string;
  readonly closing: boolean;
  forget(connection: Connection): void;
}

class Connection {
  private state = State.Head;
  /** Bytes read but not yet parsed (a partial head or chunk line, or requests pipelined behind one being answered). */
  private pending: Buffer | null = null;
  private head: Head | null = null;
  private parts: Buffer[] = [];
  private received = 0;
  /** Bytes of the current Content-Length body, or of the current chunk, still to come. */
  private remaining = 0;
  private discarded = 0;
  /** When the request being read (head, then body) must be in. */
  private deadline = Infinity;
  /** A request's first byte has arrived: its deadline runs (drip-fed bytes do not restart it). */
  private inRequest = false;
  /** When the current request's first byte arrived (the clock's time, to the tick). */
  private startedAt = 0;
  private idleSince: number;
  /** The handler is running inside dispatch(): an answer it gives at once lets parse() go on by itself. */
  private inHandler = false;
  private closeAfterAnswer = false;
  private abortReported = false;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    private readonly shared: Shared,
  ) {
    this.idleSince = shared.clock.now;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.resumeReading());
    socket.on('error', () => this.socket.destroy());
    socket.on('close', () => this.onClose());
  }

  checkDeadline(now: number): void {
    switch (this.state) {
      case State.Closed:
      case State.Answering:
        return;
      case State.Discard:
        if (now >= this.deadline) this.socket.destroy();
        return;
      default:
        if (!this.inRequest) {
          if (now - this.idleSince >= this.shared.settings.keepAliveTimeoutMillis) this.socket.destroy();
        } else if (now >= this.deadline) {
          this.reportAbort();
          this.refuse(408, 'the request did not arrive in time');
        }
    }
  }

  /** Server shutdown: a connection waiting for its answer closes after it; any other now (a request half read was not accepted). */
  closeWhenIdle(): void {
    if (this.state === State.Closed) return;
    if (this.state === State.Answering) this.closeAfterAnswer = true;
    else this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    switch (this.state) {
      case State.Closed:
        return;
      case State.Discard:
        this.discard(chunk.length);
        return;
      case State.Answering:
        this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
        this.pauseIfBehind();
        return;
      default: {
        let data = chunk;
        if (this.pending !== null) {
          data = Buffer.concat([this.pending, chunk]);
          this.pending = null;
        }
        this.parse(data, 0);
      }
    }
  }

  /** Parses from `offset` until the bytes run out, a request waits for its answer, or the connection closes. */
  private parse(data: Buffer, offset: number): void {
    const { settings, clock } = this.shared;
    while (offset < data.length) {
      switch (this.state) {
        case State.Head: {
          // Empty lines before a request line are ignored (RFC 9112 §2.2: some clients end a body with one).
          if (!this.inRequest && (data[offset] === 0x0d || data[offset] === 0x0a)) {
            offset++;
            continue;
          }
          if (!this.inRequest) {
            this.inRequest = true;
            this.startedAt = clock.now;
            this.deadline = clock.now + Math.min(settings.headersTimeoutMillis, settings.requestTimeoutMillis);
          }
          const end = data.indexOf(CRLF_CRLF, offset);
          if (end === -1 || end - offset > settings.maxHeaderBytes) {
            // Without its end yet, up to 3 bytes of the closing CRLFCRLF may be in already; they are not counted.
            if (end !== -1 || data.length - offset > settings.maxHeaderBytes + 3) return this.refuse(431, `request head is over the limit of ${settings.maxHeaderBytes} bytes`);
            this.pending = data.subarray(offset);
            return;
          }
          const head = parseHead(data.toString('latin1', offset, end));
          offset = end + 4;
          if ('status' in head) return this.refuse(head.status, head.message);
          this.head = head;
          this.deadline = this.startedAt + settings.requestTimeoutMillis;
          this.parts = [];
          this.received = 0;
          const expect = head.headers.expect;
          if (expect !== undefined && expect.toLowerCase() !== '100-continue') return this.refuse(417, `expected no Expect header or 100-continue, found '${expect.slice(0, 40)}'`);
          if (head.chunked) {
            this.state = State.ChunkSize;
          } else if (head.contentLength > settings.maxBodyBytes) {
            // Refused before the body is read (a client waiting for 100-continue never sends it).
            this.dispatch(EMPTY, true);
            this.discard(data.length - offset);
            return;
          } else if (head.contentLength === 0) {
            this.dispatch(EMPTY, false);
            offset = this.afterDispatch(data, offset);
            continue;
          } else {
            this.state = State.Body;
            this.remaining = head.contentLength;
          }
          // HTTP/1.0 clients do not know 100 (RFC 9110 §10.1.1: the expectation is ignored for them).
          if (expect !== undefined && head.minor === 1) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
          continue;
        }
        case State.Body: {
          const available = data.length - offset;
          if (this.parts.length === 0 && available >= this.remaining) {
            // The common case: the whole body in one read. A view of it, not a copy.
            const body = data.subarray(offset, offset + this.remaining);
            offset += this.remaining;
            this.remaining = 0;
            this.dispatch(body, false);
            offset = this.afterDispatch(data, offset);
            continue;
          }
          const take = Math.min(available, this.remaining);
          this.parts.push(data.subarray(offset, offset + take));
          this.received += take;
          this.remaining -= take;
          offset += take;
          if (this.remaining === 0) {
            const body = Buffer.concat(this.parts, this.received);
            this.parts = [];
            this.dispatch(body, false);
            offset = this.afterDispatch(data, offset);
          }
          continue;
        }
        case State.ChunkSize: {
          const end = data.indexOf('\r\n', offset, 'latin1');
          if (end === -1) {
            if (data.length - offset > MAX_CHUNK_LINE_BYTES) return this.refuse(400, 'chunk size line is too long');
            this.pending = data.subarray(offset);
            return;
          }
          const line = data.toString('latin1', offset, end);
          offset = end + 2;
          const semicolon = line.indexOf(';');
          const hex = (semicolon === -1 ? line : line.slice(0, semicolon)).replace(/[ \t]+$/, '');
          if (!/^[0-9A-Fa-f]{1,12}$/.test(hex)) return this.refuse(400, `expected a hexadecimal chunk size, found '${hex.slice(0, 20)}'`);
          const size = parseInt(hex, 16);
          if (size === 0) {
            this.state = State.Trailers;
          } else if (this.received + size > settings.maxBodyBytes) {
            this.parts = [];
            this.dispatch(EMPTY, true);
            this.discard(data.length - offset);
            return;
          } else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          continue;
        }
        case State.ChunkData: {
          const take = Math.min(data.length - offset, this.remaining);
          this.parts.push(data.subarray(offset, offset + take));
          this.received += take;
          this.remaining -= take;
          offset += take;
          if (this.remaining === 0) this.state = State.ChunkEnd;
          continue;
        }
        case State.ChunkEnd: {
          if (data.length - offset < 2) {
            this.pending = data.subarray(offset);
            return;
          }
          if (data[offset] !== 0x0d || data[offset + 1] !== 0x0a) return this.refuse(400, 'expected CRLF after a chunk');
          offset += 2;
          this.state = State.ChunkSize;
          continue;
        }
        case State.Trailers: {
          const end = data.indexOf('\r\n', offset, 'latin1');
          if (end === -1) {
            if (data.length - offset > settings.maxHeaderBytes) return this.refuse(431, `trailers are over the limit of ${settings.maxHeaderBytes} bytes`);
            this.pending = data.subarray(offset);
            return;
          }
          const last = end === offset;
          offset = end + 2;
          // Trailer fields are read and ignored; the empty line ends the request.
          if (!last) continue;
          const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.received);
          this.parts = [];
          this.dispatch(body, false);
          offset = this.afterDispatch(data, offset);
          continue;
        }
        case State.Discard:
          this.discard(data.length - offset);
          return;
        case State.Answering:
          this.pending = data.subarray(offset);
          this.pauseIfBehind();
          return;
        default:
          return;
      }
    }
  }

  /** After a request went to the handler: where parsing goes on (the end, when the answer is still to come). */
  private afterDispatch(data: Buffer, offset: number): number {
    if (this.state !== State.Answering) return offset;
    if (offset < data.length) {
      this.pending = data.subarray(offset);
      this.pauseIfBehind();
    }
    return data.length;
  }

  /**
   * Hands a whole request to the handler. A body over the limit is handed over empty, and the rest of
   * it is read and dropped until the client, having its answer, goes (the connection then closes).
   */
  private dispatch(body: Buffer, bodyTooLarge: boolean): void {
    const head = this.head!;
    if (bodyTooLarge) {
      this.closeAfterAnswer = true;
      this.state = State.Discard;
      this.discarded = 0;
    } else {
      this.state = State.Answering;
      this.deadline = Infinity;
    }
    const response = new Answer(this, head.method === 'HEAD');
    this.inHandler = true;
    try {
      this.shared.handler({ method: head.method, url: head.url, headers: head.headers, body, bodyTooLarge }, response);
    } catch (error) {
      this.shared.settings.onHandlerError?.(error);
      if (!response.headersSent) {
        this.closeAfterAnswer = true;
        response.writeHead(500, ['content-type', 'text/plain; charset=utf-8']);
        response.end('internal error\n');
      }
    } finally {
      this.inHandler = false;
    }
  }

  /** Writes an answer (from Answer.end), then moves on to the next request or closes. */
  send(head: string, body: string | Uint8Array | null): void {
    if (this.state === State.Closed) return;
    const request = this.head;
    const close = this.closeAfterAnswer || this.shared.closing || !(request?.keepAlive ?? false);
    const text = `${head}date: ${this.shared.clock.date}\r\n${close ? 'connection: close\r\n\r\n' : request!.minor === 0 ? this.shared.keepAlive10 : this.shared.keepAlive11}`;
    if (body === null || body.length === 0) {
      this.socket.write(text, 'latin1');
    } else if (typeof body === 'string') {
      // Head and body in one write (the head is ASCII, so UTF-8 writes it as it is).
      this.socket.write(text + body, 'utf8');
    } else {
      this.socket.cork();
      this.socket.write(text, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
    }
    this.head = null;
    if (close) {
      // Half-closed: what the client still sends is read and dropped (closing a socket with unread bytes
      // resets it, and the client could lose this answer) until it goes, the discard bound or the deadline.
      if (this.state !== State.Discard) {
        this.state = State.Discard;
        this.discarded = 0;
        this.deadline = this.shared.clock.now + LINGER_MILLIS;
      }
      this.pending = null;
      this.socket.end();
      return;
    }
    this.state = State.Head;
    this.inRequest = false;
    this.deadline = Infinity;
    this.idleSince = this.shared.clock.now;
    if (this.socket.writableLength > MAX_UNREAD_ANSWER_BYTES && !this.paused) {
      // A client that sends requests without reading the answers is not read from until it does.
      this.paused = true;
      this.socket.pause();
    }
    if (this.inHandler) return;
    // An answer given later, from a callback: requests that arrived meanwhile are parsed now.
    const rest = this.pending;
    this.pending = null;
    if (rest !== null) this.parse(rest, 0);
    // Reading resumes wherever parsing stopped (between requests or inside a body), unless it waits for an answer again.
    this.resumeReading();
  }

  /** Answers a request that cannot be read (or did not arrive in time) with `status`, and closes. */
  private refuse(status: number, message: string): void {
    this.closeAfterAnswer = true;
    this.pending = null;
    this.head ??= { method: 'GET', url: '', minor: 1, headers: {}, contentLength: 0, chunked: false, keepAlive: false };
    this.state = State.Answering;
    const answer = new Answer(this, false);
    answer.writeHead(status, ['content-type', 'text/plain; charset=utf-8']);
    answer.end(`${message}\n`);
  }

  private discard(bytes: number): void {
    this.discarded += bytes;
    if (this.discarded > this.shared.settings.maxDiscardBytes) this.socket.destroy();
  }

  /** A request whose head was read and whose body never came whole: told once to the server's owner. */
  private reportAbort(): void {
    const head = this.head;
    if (head === null || this.abortReported) return;
    if (this.state === State.Answering || this.state === State.Discard || this.state === State.Closed || this.state === State.Head) return;
    this.abortReported = true;
    this.shared.settings.onAborted?.({ method: head.method, url: head.url });
  }

  private onEnd(): void {
    switch (this.state) {
      case State.Answering:
        // The answer still goes out; the connection closes after it.
        this.closeAfterAnswer = true;
        return;
      case State.Discard:
        // Both sides done once our answer (sent with an end(), or still to come) has gone out.
        if (!this.socket.writableEnded) this.closeAfterAnswer = true;
        else if (this.socket.writableFinished) this.socket.destroy();
        else this.socket.once('finish', () => this.socket.destroy());
        return;
      case State.Closed:
        return;
      default:
        if (this.inRequest) {
          this.reportAbort();
          this.socket.destroy();
          return;
        }
        this.state = State.Closed;
        this.socket.end();
    }
  }

  private onClose(): void {
    this.reportAbort();
    this.state = State.Closed;
    this.pending = null;
    this.parts = [];
    this.shared.forget(this);
  }

  private pauseIfBehind(): void {
    const { maxHeaderBytes, maxBodyBytes } = this.shared.settings;
    if (!this.paused && this.pending !== null && this.pending.length > maxHeaderBytes + maxBodyBytes) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private resumeReading(): void {
    if (this.paused && this.state !== State.Answering && this.socket.writableLength <= MAX_UNREAD_ANSWER_BYTES) {
      this.paused = false;
      this.socket.resume();
    }
  }
}

const EMPTY = Buffer.alloc(0);

class Answer implements Http1Response {
  private status = 200;
  private headers: (string | number)[] = [];
  headersSent = false;

  constructor(
    private readonly connection: Connection,
    private readonly isHead: boolean,
  ) {}

  setHeader(name: string, value: string | number): void {
    this.headers.push(name, value);
  }

  writeHead(status: number, headers?: readonly (string | number)[] | Readonly<Record<string, string | number>>): void {
    this.status = status;
    if (headers === undefined) return;
    if (Array.isArray(headers)) this.headers.push(...headers);
    else for (const [name, value] of Object.entries(headers)) this.headers.push(name, value);
  }

  end(body?: string | Uint8Array): void {
    if (this.headersSent) return;
    this.headersSent = true;
    let head = `HTTP/1.1 ${this.status} ${REASONS[this.status] ?? 'Unknown'}\r\n`;
    let hasLength = false;
    for (let i = 0; i < this.headers.length; i += 2) {
      const name = String(this.headers[i]);
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      head += `${name}: ${this.headers[i + 1]}\r\n`;
    }
    if (!hasLength) head += `content-length: ${body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n`;
    this.connection.send(head, this.isHead || body === undefined ? null : body);
  }
}

function parseHead(text: string): Head | HeadError {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = text.length;
  const line = text.slice(0, lineEnd);
  const first = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (first <= 0 || last === first) return { status: 400, message: `expected a request line 'METHOD target HTTP/1.1', found '${line.slice(0, 80)}'` };
  const method = line.slice(0, first);
  const url = line.slice(first + 1, last);
  const version = line.slice(last + 1);
  if (!TOKEN.test(method) || url.length === 0 || FORBIDDEN_IN_TARGET.test(url)) {
    return { status: 400, message: `expected a request line 'METHOD target HTTP/1.1', found '${line.slice(0, 80)}'` };
  }
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else return { status: 505, message: `expected HTTP/1.1 or HTTP/1.0, found '${version.slice(0, 20)}'` };

  const headers: Record<string, string> = {};
  let contentLength: string | undefined;
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end === -1) end = text.length;
    const field = text.slice(pos, end);
    pos = end + 2;
    const colon = field.indexOf(':');
    // No colon, an empty name, or whitespace before the colon or at the start (obsolete line folding): all refused.
    const rawName = colon > 0 ? field.slice(0, colon) : '';
    if (!TOKEN.test(rawName)) return { status: 400, message: `expected a header line 'Name: value', found '${field.slice(0, 80)}'` };
    const value = field.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (FORBIDDEN_IN_VALUE.test(value)) return { status: 400, message: `header ${rawName} holds a control character` };
    const name = rawName.toLowerCase();
    if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return { status: 400, message: `expected Content-Length to be a number of bytes, found '${value.slice(0, 20)}'` };
      if (contentLength !== undefined && contentLength !== value) return { status: 400, message: 'expected one Content-Length, found two that differ' };
      contentLength = value;
      headers[name] = value;
      continue;
    }
    const existing = headers[name];
    headers[name] = existing === undefined ? value : `${existing}, ${value}`;
  }

  const transferEncoding = headers['transfer-encoding'];
  let chunked = false;
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) return { status: 400, message: 'expected Content-Length or Transfer-Encoding, found both' };
    if (minor === 0) return { status: 400, message: 'expected no Transfer-Encoding in an HTTP/1.0 request' };
    if (transferEncoding.toLowerCase() !== 'chunked') return { status: 501, message: `expected Transfer-Encoding chunked, found '${transferEncoding.slice(0, 40)}'` };
    chunked = true;
  }
  const connection = headers.connection?.toLowerCase();
  const keepAlive = minor === 1 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
  return { method, url, minor, headers, contentLength: contentLength === undefined ? 0 : Number(contentLength), chunked, keepAlive };
}

/** Whether a comma-separated header value lists `token` (already lower-cased). */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  if (value === token) return true;
  return value.split(',').some((part) => part.trim() === token);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
