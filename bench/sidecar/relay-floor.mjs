// Benchmark floor, not tracekit: the least an OTLP/HTTP relay can do per
// request. It reads the body, answers as the sidecar answers (an empty
// ExportTraceServiceResponse: no bytes for protobuf, `{}` for JSON), keeps the
// body, and forwards the kept bodies upstream in one POST per BATCH_REQUESTS
// bodies (or per second) — concatenated protobuf messages merge into one; JSON
// bodies have their resourceSpans arrays joined. No decoding, validation,
// transcoding, queue bound, spool, retry or metrics: what the sidecar costs
// above this is its own work, what this costs is relaying's.
//   node bench/sidecar/relay-floor.mjs PORT UPSTREAM_URL BATCH_REQUESTS
import http from 'node:http';

const [portArg = '0', upstreamArg, batchArg = '50'] = process.argv.slice(2);
if (upstreamArg === undefined) {
  process.stderr.write('usage: node bench/sidecar/relay-floor.mjs PORT UPSTREAM_URL BATCH_REQUESTS\n');
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

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const type = req.headers['content-type'] === 'application/json' ? 'application/json' : 'application/x-protobuf';
    const list = kept[type];
    list.push(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    if (type === 'application/json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    } else {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      res.end();
    }
    if (list.length >= batchRequests) forward(type);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
