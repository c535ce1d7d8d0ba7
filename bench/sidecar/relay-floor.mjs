// Benchmark floor, not tracekit: the least an OTLP/HTTP relay can do per
// request. It reads the body, answers as the sidecar answers (an empty
// ExportTraceServiceResponse: no bytes for protobuf, `{}` for JSON), keeps the
// body, and forwards the kept bodies upstream in one POST per BATCH_REQUESTS
// bodies (or per second) — concatenated protobuf messages merge into one; JSON
// bodies have their resourceSpans arrays joined. No decoding, validation,
// transcoding, queue bound, spool, retry or metrics: what the sidecar costs
// above this is its own work, what this costs is relaying's.
//
// By default it runs on node:http. With `http1`: the same relay on the
// sidecar's own HTTP/1.1 server (src/sidecar/http1.ts), which costs less per
// request (bench/sidecar/http-layer.mjs): the least a relay does on the
// cheapest HTTP layer this project has.
// With `check` (the checking floor): the relay on the sidecar's HTTP/1.1
// server, checking every body before it answers with the sidecar's own
// checkers (validateProtobuf; JSON transcoded to protobuf by jsonToProtobuf,
// and a 400 for a bad body), still without queue bound, spool, retry or
// metrics: the least a relay that honours the "validated before accepted"
// contract does with these checkers.
//   node bench/sidecar/relay-floor.mjs PORT UPSTREAM_URL BATCH_REQUESTS [plain|http1|check]
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [portArg = '0', upstreamArg, batchArg = '50', mode = 'plain'] = process.argv.slice(2);
if (upstreamArg === undefined || !['plain', 'http1', 'check'].includes(mode)) {
  process.stderr.write('usage: node bench/sidecar/relay-floor.mjs PORT UPSTREAM_URL BATCH_REQUESTS [plain|http1|check]\n');
  process.exit(2);
}
const upstream = new URL('/v1/traces', upstreamArg);
const batchRequests = Math.max(1, Number(batchArg));
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const kept = { 'application/x-protobuf': [], 'application/json': [] };

function forward(type) {
  const bodies = kept[type];
  if (bodies.length === 0) return;
  kept[type] = [];
  let body;
  if (type === 'application/json') {
    // {"resourceSpans":[A]} + {"resourceSpans":[B]} → {"resourceSpans":[A,B]}
    const parts = bodies.map((b) => b.subarray(b.indexOf(0x5b) + 1, b.lastIndexOf(0x5d)));
    body = Buffer.concat([Buffer.from('{"resourceSpans":['), ...parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from(','), p])), Buffer.from(']}')]);
  } else {
    body = Buffer.concat(bodies);
  }
  const req = http.request(upstream, { method: 'POST', agent, headers: { 'content-type': type, 'content-length': body.length } }, (res) => res.resume());
  req.on('error', () => {});
  req.end(body);
}

setInterval(() => {
  for (const type of Object.keys(kept)) forward(type);
}, 1000).unref();

function keep(type, body) {
  const list = kept[type];
  list.push(body);
  if (list.length >= batchRequests) forward(type);
}

const listening = (server) => () => process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);

if (mode === 'check' || mode === 'http1') {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const { createHttp1Server } = await import(path.join(root, 'dist/src/sidecar/http1.js'));
  const { jsonToProtobuf, validateProtobuf, SIGNALS } = await import(path.join(root, 'dist/src/otlp/index.js'));
  const type = SIGNALS.traces.requestType;
  const server = createHttp1Server(
    (req, res) => {
      const json = req.headers['content-type'] === 'application/json';
      if (mode === 'http1') {
        // As the plain relay: kept as it came (JSON bodies joined as JSON when forwarded).
        keep(json ? 'application/json' : 'application/x-protobuf', req.body);
        res.writeHead(200, json ? ['content-type', 'application/json'] : ['content-type', 'application/x-protobuf']);
        res.end(json ? '{}' : undefined);
        return;
      }
      try {
        // Checked bodies are all protobuf: JSON is transcoded as the sidecar does.
        if (json) keep('application/x-protobuf', Buffer.from(jsonToProtobuf(type, req.body).bytes));
        else {
          validateProtobuf(type, req.body);
          keep('application/x-protobuf', req.body);
        }
      } catch (error) {
        res.writeHead(400, ['content-type', 'text/plain']);
        res.end(`${error.message}\n`);
        return;
      }
      res.writeHead(200, json ? ['content-type', 'application/json'] : ['content-type', 'application/x-protobuf']);
      res.end(json ? '{}' : undefined);
    },
    { maxBodyBytes: 4 * 1024 * 1024 },
  );
  server.listener.listen(Number(portArg), '127.0.0.1', listening(server.listener));
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const type = req.headers['content-type'] === 'application/json' ? 'application/json' : 'application/x-protobuf';
      if (type === 'application/json') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
        res.end();
      }
      keep(type, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(portArg), '127.0.0.1', listening(server));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
