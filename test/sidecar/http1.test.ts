// The sidecar's HTTP/1.1 server (src/sidecar/http1.ts) on real sockets: raw
// net clients where the exact bytes matter, node:http and undici where a
// normal client is the point.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttp1Server, type AbortedRequest, type Http1Handler, type Http1Request, type Http1Server, type Http1ServerOptions } from '../../src/sidecar/http1.js';
import { pollUntilTrue } from '../helpers/poll.js';

const cleanups: (() => unknown)[] = [];
// Clients first (registered after their server), then the servers.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const bytes = (x: string | Buffer): Buffer => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x);
const waitFor = (what: string, condition: () => boolean, timeoutMillis = 5000): Promise<void> => pollUntilTrue(what, condition, { timeoutMillis, intervalMillis: 5 });

/** Answers 413 to a body over the limit, else 200 naming the request and its body's length. */
const echo: Http1Handler = (req, res) => {
  res.writeHead(req.bodyTooLarge ? 413 : 200, ['content-type', 'text/plain']);
  res.end(req.bodyTooLarge ? 'too large\n' : `${req.method} ${req.url} ${req.body.length}`);
};

/** A server, what its handler and callbacks got, and the server's side of each connection (in accept order). */
type Harness = { server: Http1Server; port: number; calls: Http1Request[]; aborted: AbortedRequest[]; errors: unknown[]; sockets: Socket[] };

async function start(options: Partial<Http1ServerOptions> = {}, handler: Http1Handler = echo, socketPath?: string): Promise<Harness> {
  const h: Omit<Harness, 'server' | 'port'> = { calls: [], aborted: [], errors: [], sockets: [] };
  const record: Http1Handler = (req, res) => {
    h.calls.push({ ...req, body: Buffer.from(req.body) });
    handler(req, res);
  };
  const server = createHttp1Server(record, { maxBodyBytes: 1024 * 1024, onAborted: (r) => h.aborted.push(r), onHandlerError: (e) => h.errors.push(e), ...options });
  server.listener.on('connection', (socket: Socket) => h.sockets.push(socket));
  cleanups.push(() => server.close());
  if (socketPath === undefined) server.listener.listen(0, '127.0.0.1');
  else server.listener.listen(socketPath);
  await once(server.listener, 'listening');
  const address = server.listener.address();
  return { ...h, server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/** An answer as the client received it; `end` is the offset just past it. */
type Answer = { status: number; statusLine: string; headers: Record<string, string>; body: string; end: number };

/** The complete answers in `data` (bodies by content-length; 1xx have none). */
function parseAnswers(data: Buffer): Answer[] {
  const text = data.toString('latin1');
  const answers: Answer[] = [];
  for (let at = 0; ; ) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) return answers;
    const [statusLine = '', ...lines] = text.slice(at, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const status = Number(statusLine.split(' ')[1]);
    const length = status < 200 ? 0 : Number(headers['content-length'] ?? 0);
    if (text.length < headEnd + 4 + length) return answers;
    at = headEnd + 4 + length;
    answers.push({ status, statusLine, headers, body: text.slice(headEnd + 4, at), end: at });
  }
}

/** A raw TCP client that keeps everything it receives. */
class Raw {
  data = Buffer.alloc(0);
  closed = false;
  error: Error | null = null;
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.data = Buffer.concat([this.data, chunk])));
    socket.on('error', (error) => (this.error = error));
    socket.on('close', () => (this.closed = true));
  }
  get text(): string {
    return this.data.toString('latin1');
  }
  /** Writes the pieces in order, each once the one before was handed to the kernel. */
  async send(...pieces: (string | Buffer)[]): Promise<void> {
    for (const piece of pieces) await new Promise<void>((resolve, reject) => this.socket.write(bytes(piece), (e) => (e ? reject(e) : resolve())));
  }
  async answered(count: number, timeoutMillis?: number): Promise<Answer[]> {
    await waitFor(`${count} answer(s)`, () => parseAnswers(this.data).length >= count, timeoutMillis);
    return parseAnswers(this.data);
  }
  closing(timeoutMillis?: number): Promise<void> {
    return waitFor('the connection to close', () => this.closed, timeoutMillis);
  }
}

async function open(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  return new Raw(socket);
}

function post(url: string, body: string | Buffer, extra = ''): Buffer {
  return Buffer.concat([Buffer.from(`POST ${url} HTTP/1.1\r\nHost: t\r\n${extra}Content-Length: ${bytes(body).length}\r\n\r\n`), bytes(body)]);
}

/** `bytes` cut into pieces whose sizes cycle through `sizes`. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; at += sizes[i++ % sizes.length]!) pieces.push(bytes.subarray(at, at + sizes[i % sizes.length]!));
  return pieces;
}

function expectSameBytes(found: Buffer | undefined, expected: Buffer): void {
  expect(found?.length).toBe(expected.length);
  expect(found?.equals(expected), 'bytes differ').toBe(true);
}

/** A POST from node:http (keep-alive agent), the body given in several write() calls: sent chunked. */
function httpPost(target: { port: number } | { socketPath: string }, url: string, pieces: string[]): Promise<{ status: number; body: string }> {
  const agent = new http.Agent({ keepAlive: true });
  cleanups.push(() => agent.destroy());
  return new Promise((resolve, reject) => {
    const where = 'port' in target ? { host: '127.0.0.1', port: target.port } : target;
    const req = http.request({ ...where, method: 'POST', path: url, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const piece of pieces.slice(0, -1)) req.write(piece);
    req.end(pieces.at(-1));
  });
}

describe('keep-alive', () => {
  it('answers two POSTs on one connection in order, keeping it alive (raw client and undici)', async () => {
    const h = await start();
    const c = await open(h.port);
    await c.send(post('/v1/traces', 'first'));
    await c.answered(1);
    await c.send(post('/v1/logs', 'second!'));
    const answers = await c.answered(2);
    expect(answers.map((a) => [a.statusLine, a.body])).toEqual([['HTTP/1.1 200 OK', 'POST /v1/traces 5'], ['HTTP/1.1 200 OK', 'POST /v1/logs 7']]);
    expect(answers.map((a) => [a.headers['keep-alive'], a.headers.connection])).toEqual([['timeout=65', undefined], ['timeout=65', undefined]]);
    expect(h.calls.map((r) => r.body.toString())).toEqual(['first', 'second!']);
    expect(c.closed).toBe(false);

    const client = new Client(`http://127.0.0.1:${h.port}`);
    cleanups.push(() => client.close());
    for (const body of ['x', 'yy']) {
      const res = await client.request({ path: '/u', method: 'POST', body });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe(`POST /u ${body.length}`);
    }
    // Both undici requests went over one new connection.
    expect(h.sockets).toHaveLength(2);
  });

  it('HTTP/1.0: closes without Connection: keep-alive, keeps the connection with it', async () => {
    const h = await start();
    const plain = await open(h.port);
    await plain.send('POST /a HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi');
    await plain.closing();
    expect(parseAnswers(plain.data).map((a) => [a.statusLine, a.headers.connection, a.headers['keep-alive']])).toEqual([['HTTP/1.1 200 OK', 'close', undefined]]);

    const kept = await open(h.port);
    const request = 'POST /b HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi';
    await kept.send(request);
    await kept.answered(1);
    await kept.send(request); // the connection is still usable
    const answers = await kept.answered(2);
    for (const a of answers) expect([a.statusLine, a.headers.connection, a.headers['keep-alive']]).toEqual(['HTTP/1.1 200 OK', 'keep-alive', 'timeout=65']);
    expect(kept.closed).toBe(false);
    expect(h.calls.map((r) => r.url)).toEqual(['/a', '/b', '/b']);
  });
});

describe('pipelining', () => {
  it('answers three requests sent in one write in request order, also when the first is answered asynchronously', async () => {
    const h = await start({}, (req, res) => (req.url === '/1' && req.headers['x-async'] === 'yes' ? setImmediate(() => echo(req, res)) : echo(req, res)));
    for (const async of ['no', 'yes']) {
      const c = await open(h.port);
      await c.send(Buffer.concat([post('/1', 'one', `X-Async: ${async}\r\n`), post('/2', 'two!'), post('/3', 'three')]));
      const answers = await c.answered(3);
      expect(answers.map((a) => a.body)).toEqual(['POST /1 3', 'POST /2 4', 'POST /3 5']);
      expect(c.data.length).toBe(answers[2]!.end);
    }
    expect(h.calls.map((r) => `${r.url}=${r.body.toString()}`)).toEqual(['/1=one', '/2=two!', '/3=three', '/1=one', '/2=two!', '/3=three']);
  });

  it('ignores an empty line left before a request line (a CRLF some clients send after a body)', async () => {
    const h = await start();
    const c = await open(h.port);
    await c.send(Buffer.concat([post('/1', 'one'), bytes('\r\n'), post('/2', 'two!'), bytes('\r\n\r\n'), post('/3', 'three')]));
    const answers = await c.answered(3);
    expect(answers.map((a) => a.body)).toEqual(['POST /1 3', 'POST /2 4', 'POST /3 5']);
  });

  it('answers requests pipelined past the read-ahead bound behind a slow answer, the last one ending mid-body', async () => {
    // Read-ahead is bounded at maxHeaderBytes + maxBodyBytes (1024 here): past it the server stops reading until it has answered.
    let release = (): void => {};
    const h = await start({ maxBodyBytes: 512, maxHeaderBytes: 512 }, (req, res) => (req.url === '/slow' ? (release = () => echo(req, res)) : echo(req, res)));
    const c = await open(h.port);
    await c.send(post('/slow', 'x'));
    await waitFor('the slow request to reach the handler', () => h.calls.length === 1);
    const last = post('/last', Buffer.alloc(300, 0x61));
    const behind = Buffer.concat([post('/b1', Buffer.alloc(300, 0x62)), post('/b2', Buffer.alloc(300, 0x63)), post('/b3', Buffer.alloc(300, 0x64)), last.subarray(0, last.length - 100)]);
    await c.send(behind);
    await waitFor('the server to read the pipelined bytes', () => h.sockets[0]!.bytesRead === post('/slow', 'x').length + behind.length);
    release();
    await c.answered(4);
    await c.send(last.subarray(last.length - 100));
    const answers = await c.answered(5, 3000);
    expect(answers.map((a) => a.body)).toEqual(['POST /slow 1', 'POST /b1 300', 'POST /b2 300', 'POST /b3 300', 'POST /last 300']);
  });
});

describe('request bodies', () => {
  it('a Content-Length body reaches the handler whole and byte-identical: in 1–7 byte writes, and at 300 KiB (many socket reads)', async () => {
    const h = await start();
    const c = await open(h.port);
    const small = randomBytes(400);
    await c.send(...cut(post('/small', small), [1, 7, 3, 2, 5, 4, 6]));
    await c.answered(1);
    const big = randomBytes(300 * 1024);
    await c.send(Buffer.concat([post('/big', big), post('/after', 's')]));
    expect((await c.answered(3)).map((a) => a.body)).toEqual(['POST /small 400', `POST /big ${big.length}`, 'POST /after 1']);
    expectSameBytes(h.calls[0]?.body, small);
    expectSameBytes(h.calls[1]?.body, big);
    expectSameBytes(h.calls[2]?.body, Buffer.from('s'));
  });

  it('chunked: chunks with an extension and a trailer, written a byte at a time, reach the handler whole', async () => {
    const h = await start();
    const c = await open(h.port);
    const second = randomBytes(26);
    const chunked = Buffer.concat([Buffer.from('5;name=value\r\nhello\r\n1A\r\n'), second, Buffer.from('\r\n3\r\nxyz\r\n0\r\nX-Trailer: t\r\n\r\n')]);
    // Every boundary falls somewhere: inside the size lines, between CR and LF, inside the trailer.
    await c.send('POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n', ...cut(chunked, [1]), 'GET /after HTTP/1.1\r\nHost: t\r\n\r\n');
    expect((await c.answered(2)).map((a) => a.body)).toEqual(['POST /c 34', 'GET /after 0']);
    expectSameBytes(h.calls[0]?.body, Buffer.concat([Buffer.from('hello'), second, Buffer.from('xyz')]));
    expect(h.calls[0]?.headers['transfer-encoding']).toBe('chunked');
  });

  it('chunked: node:http writing a request in several write() calls is read whole', async () => {
    const h = await start();
    const res = await httpPost({ port: h.port }, '/v1/metrics', ['alpha-', 'beta-', 'gamma']);
    expect([res.status, res.body]).toEqual([200, 'POST /v1/metrics 16']);
    expect(h.calls[0]?.headers['transfer-encoding']).toBe('chunked');
    expect(h.calls[0]?.body.toString()).toBe('alpha-beta-gamma');
  });
});

describe('Expect: 100-continue', () => {
  it('writes 100 Continue before the client sends the body, then answers 200', async () => {
    const h = await start();
    const c = await open(h.port);
    await c.send('POST /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await waitFor('100 Continue', () => c.data.length >= 25);
    expect(c.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(h.calls).toHaveLength(0);
    await c.send('hello');
    expect((await c.answered(2)).map((a) => [a.statusLine, a.body])).toEqual([['HTTP/1.1 100 Continue', ''], ['HTTP/1.1 200 OK', 'POST /e 5']]);
    expect(h.calls[0]?.body.toString()).toBe('hello');
  });

  it('answers 413 at once, without 100, to a Content-Length over maxBodyBytes, and closes', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const c = await open(h.port);
    await c.send('POST /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n');
    await c.closing();
    const answers = parseAnswers(c.data);
    expect(answers.map((a) => [a.statusLine, a.headers.connection, a.body])).toEqual([['HTTP/1.1 413 Content Too Large', 'close', 'too large\n']]);
    expect(c.data.length).toBe(answers[0]?.end);
    expect(h.calls.map((r) => [r.bodyTooLarge, r.body.length])).toEqual([[true, 0]]);
  });

  it('sends no 100 Continue to an HTTP/1.0 client (RFC 9110 §10.1.1: it MUST ignore the expectation)', async () => {
    const h = await start();
    const c = await open(h.port);
    await c.send('POST /e HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n', 'hi');
    await c.closing();
    expect(parseAnswers(c.data).map((a) => [a.statusLine, a.body])).toEqual([['HTTP/1.1 200 OK', 'POST /e 2']]);
  });
});

const REFUSALS: { name: string; bytes: string; statusLine: string }[] = [
  { name: 'both Content-Length and Transfer-Encoding', bytes: 'POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'two different Content-Lengths', bytes: 'POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'Transfer-Encoding: gzip', bytes: 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', statusLine: 'HTTP/1.1 501 Not Implemented' },
  { name: 'a folded header line', bytes: 'GET / HTTP/1.1\r\nX-A: a\r\n folded\r\n\r\n', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'a malformed request line', bytes: 'GET /\r\nHost: t\r\n\r\n', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'HTTP/2.0', bytes: 'GET / HTTP/2.0\r\nHost: t\r\n\r\n', statusLine: 'HTTP/1.1 505 HTTP Version Not Supported' },
  { name: 'a head over maxHeaderBytes, not yet ended', bytes: `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(1100)}`, statusLine: 'HTTP/1.1 431 Request Header Fields Too Large' },
  { name: 'a head over maxHeaderBytes, ended', bytes: `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(1100)}\r\n\r\n`, statusLine: 'HTTP/1.1 431 Request Header Fields Too Large' },
  { name: 'a control character in a header value', bytes: 'GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'a bad chunk size', bytes: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'a chunk not followed by CRLF', bytes: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n', statusLine: 'HTTP/1.1 400 Bad Request' },
  { name: 'Expect: something-else', bytes: 'POST / HTTP/1.1\r\nExpect: something-else\r\nContent-Length: 2\r\n\r\nhi', statusLine: 'HTTP/1.1 417 Expectation Failed' },
];

describe('refusals', () => {
  it.each(REFUSALS)('$name: $statusLine, connection: close, handler not called, socket closed', async ({ bytes, statusLine }) => {
    const h = await start({ maxHeaderBytes: 1024 });
    const c = await open(h.port);
    await c.send(bytes);
    await c.closing();
    const answers = parseAnswers(c.data);
    expect(answers.map((a) => [a.statusLine, a.headers.connection])).toEqual([[statusLine, 'close']]);
    expect(c.data.length).toBe(answers[0]?.end);
    expect(c.error).toBeNull();
    expect(h.calls).toHaveLength(0);
  });

  it('a head of exactly maxHeaderBytes is accepted, also when its final CRLFs arrive in a later read', async () => {
    const h = await start({ maxHeaderBytes: 1024 });
    const line = 'GET /exact HTTP/1.1\r\nX-Fill: ';
    const head = line + 'f'.repeat(1024 - line.length); // request line plus headers: 1024 bytes, before the final CRLF CRLF
    const whole = await open(h.port);
    await whole.send(`${head}\r\n\r\n`);
    expect((await whole.answered(1))[0]?.statusLine).toBe('HTTP/1.1 200 OK');
    const split = await open(h.port);
    await split.send(`${head}\r\n`);
    await waitFor('the server to read the first piece', () => h.sockets[1]!.bytesRead === head.length + 2 || split.closed);
    await split.send('\r\n').catch(() => {});
    expect((await split.answered(1))[0]?.statusLine).toBe('HTTP/1.1 200 OK');
  });
});

describe('bodies over maxBodyBytes', () => {
  // The client sends the rest of its body after the server has answered and half-closed, and reads only
  // once it has sent it all (paused until then): a server that closed outright would reset the connection.
  async function expect413After(h: Harness, c: Raw, first: Buffer, rest: Buffer): Promise<void> {
    c.socket.pause();
    await c.send(first);
    await waitFor('the handler to be called', () => h.calls.length === 1);
    await c.send(...cut(rest, [16 * 1024]));
    expect(c.socket.bytesWritten).toBe(first.length + rest.length);
    c.socket.resume();
    await c.closing();
    expect(c.error).toBeNull();
    const answers = parseAnswers(c.data);
    expect(answers.map((a) => [a.statusLine, a.headers.connection, a.body])).toEqual([['HTTP/1.1 413 Content Too Large', 'close', 'too large\n']]);
    expect(c.data.length).toBe(answers[0]?.end);
    expect(h.calls.map((r) => [r.url, r.bodyTooLarge, r.body.length])).toEqual([['/big', true, 0]]);
  }

  it('Content-Length over the limit, body sent in full: the handler is called once with bodyTooLarge, the client reads its 413, then the connection closes', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const bytes = post('/big', randomBytes(200_000));
    await expect413After(h, await open(h.port), bytes.subarray(0, 1000), bytes.subarray(1000));
  });

  it('a chunked body that grows past the limit: the same', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const chunk = (): Buffer => Buffer.concat([Buffer.from('258\r\n'), randomBytes(600), Buffer.from('\r\n')]);
    // Two 600-byte chunks are over the limit of 1024.
    const first = Buffer.concat([Buffer.from('POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n'), chunk(), chunk()]);
    await expect413After(h, await open(h.port), first, Buffer.concat([...Array.from({ length: 40 }, chunk), Buffer.from('0\r\n\r\n')]));
  });
});

describe('timeouts', () => {
  const quick = { headersTimeoutMillis: 1000, requestTimeoutMillis: 1000, keepAliveTimeoutMillis: 1000 };

  it('a partial head left hanging gets 408 and the connection closes', async () => {
    const h = await start(quick);
    const c = await open(h.port);
    await c.send('POST /v1/traces HTTP/1.1\r\nHost: t\r\n');
    await c.closing();
    expect(parseAnswers(c.data).map((a) => [a.statusLine, a.headers.connection])).toEqual([['HTTP/1.1 408 Request Timeout', 'close']]);
    // No head was read: nothing to report as aborted.
    expect([h.calls.length, h.aborted.length]).toEqual([0, 0]);
  });

  it('a head and part of a body left hanging get 408; onAborted is called once with its method and url', async () => {
    const h = await start(quick);
    const c = await open(h.port);
    await c.send(post('/v1/traces', 'x'.repeat(100)).subarray(0, -60));
    await c.closing();
    expect(parseAnswers(c.data).map((a) => [a.statusLine, a.headers.connection])).toEqual([['HTTP/1.1 408 Request Timeout', 'close']]);
    await waitFor('the server side to close', () => h.sockets[0]!.closed);
    expect(h.aborted).toEqual([{ method: 'POST', url: '/v1/traces' }]);
    expect(h.calls).toHaveLength(0);
  });

  it('requestTimeoutMillis runs from the first byte of the request, the head included', async () => {
    // The option's contract: "From a request's first byte to the end of its body".
    const h = await start({ headersTimeoutMillis: 60_000, requestTimeoutMillis: 1000 });
    const c = await open(h.port);
    await c.send('POST /v1/traces HTTP/1.1\r\nHost: t\r\n');
    await c.closing(3500);
    expect(parseAnswers(c.data)[0]?.statusLine).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('an idle kept-alive connection is closed after keepAliveTimeoutMillis', async () => {
    const h = await start(quick);
    const c = await open(h.port);
    await c.send(post('/v1/logs', 'hi'));
    expect((await c.answered(1))[0]?.headers['keep-alive']).toBe('timeout=1');
    await c.closing();
    expect(c.data.length).toBe(parseAnswers(c.data)[0]?.end);
  });
});

describe('aborts and handler errors', () => {
  it('a client that sends a head and half a body then goes: onAborted once with method and url, handler not called', async () => {
    const h = await start();
    const c = await open(h.port);
    const half = post('/v1/metrics', 'y'.repeat(100)).subarray(0, -50);
    await c.send(half);
    await waitFor('the server to read the head', () => h.sockets[0]!.bytesRead === half.length);
    c.socket.destroy();
    await waitFor('the server side to close', () => h.sockets[0]!.closed);
    expect(h.aborted).toEqual([{ method: 'POST', url: '/v1/metrics' }]);
    expect(h.calls).toHaveLength(0);
  });

  it('a handler that throws: the client gets 500, onHandlerError the error, the connection closes; another connection keeps working', async () => {
    const boom = new Error('boom');
    const h = await start({}, (req, res) => {
      if (req.url === '/boom') throw boom;
      echo(req, res);
    });
    const other = await open(h.port);
    const c = await open(h.port);
    await c.send(post('/boom', 'x'));
    await c.closing();
    expect(parseAnswers(c.data).map((a) => [a.statusLine, a.headers.connection, a.body])).toEqual([['HTTP/1.1 500 Internal Server Error', 'close', 'internal error\n']]);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toBe(boom); // the very error thrown
    await other.send(post('/ok', 'fine'));
    expect((await other.answered(1)).map((a) => [a.statusLine, a.body])).toEqual([['HTTP/1.1 200 OK', 'POST /ok 4']]);
  });
});

describe('close()', () => {
  it('closes an idle keep-alive connection at once', async () => {
    const h = await start();
    const c = await open(h.port);
    await c.send(post('/v1/traces', 'a'));
    await c.answered(1);
    let closed = false;
    void h.server.close().then(() => (closed = true));
    await waitFor('close() to resolve', () => closed, 3000);
    await c.closing(1000);
  });

  it('lets an answer being given finish with connection: close, resolves after it, and refuses new connections', async () => {
    let release = (): void => {};
    const h = await start({}, (req, res) => void new Promise<void>((resolve) => (release = resolve)).then(() => res.end('late')));
    const c = await open(h.port);
    await c.send(post('/wait', 'x'));
    await waitFor('the request to reach the handler', () => h.calls.length === 1);
    let resolved = false;
    let answersWhenResolved = -1;
    const closing = h.server.close().then(() => {
      resolved = true;
      answersWhenResolved = parseAnswers(c.data).length;
    });
    const refused = connect(h.port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect([resolved, c.closed]).toEqual([false, false]);
    release();
    await waitFor('close() to resolve', () => resolved);
    await closing;
    expect(answersWhenResolved).toBe(1);
    expect(parseAnswers(c.data).map((a) => [a.statusLine, a.headers.connection, a.body])).toEqual([['HTTP/1.1 200 OK', 'close', 'late']]);
    await c.closing();
  });
});

describe('HEAD, unix socket, headers', () => {
  it('HEAD: the content-length of the body given, no body bytes; the next pipelined answer follows the head', async () => {
    const h = await start({}, (_req, res) => res.end('hello world'));
    const c = await open(h.port);
    await c.send('HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /g HTTP/1.1\r\nHost: t\r\n\r\n');
    await waitFor('two answers', () => c.text.split('HTTP/1.1 200 OK').length === 3 && c.text.endsWith('hello world'));
    const headEnd = c.text.indexOf('\r\n\r\n') + 4;
    expect(c.text.slice(0, headEnd)).toContain('\r\ncontent-length: 11\r\n');
    expect(c.text.slice(headEnd)).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhello world$/);
    expect(c.text.split('hello world')).toHaveLength(2);
    expect(h.calls.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('serves a request on a unix socket (node:http with socketPath)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tracekit-http1-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'otlp.sock');
    const h = await start({}, echo, socketPath);
    const res = await httpPost({ socketPath }, '/v1/logs', ['abc']);
    expect([res.status, res.body]).toEqual([200, 'POST /v1/logs 3']);
    expect(h.calls[0]?.body.toString()).toBe('abc');
  });

  it('lower-cases header names, joins repeated headers with ", ", trims spaces and tabs from values', async () => {
    const h = await start();
    const c = await open(h.port);
    await c.send('POST /h HTTP/1.1\r\nHost: t\r\nX-Multi: a\r\nx-multi:  b \r\nX-MULTI:c\r\nX-Tab:\t v  w \t\r\nContent-Length: 2\r\n\r\nhi');
    await c.answered(1);
    expect(h.calls[0]?.headers).toEqual({ host: 't', 'x-multi': 'a, b, c', 'x-tab': 'v  w', 'content-length': '2' });
  });
});
