// A bare Node HTTP server that reads the body and answers 200 — nothing else.
// Used twice by ingest.mjs: as the baseline the sidecar is compared with, and
// as the upstream the sidecar forwards to (GET /count reports requests and bytes).
//   node bench/sidecar/sink.mjs [PORT | /path/to/unix.sock]
import { createServer } from 'node:http';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests, bytes }));
    return;
  }
  req.on('data', (c) => (bytes += c.length));
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
const where = process.argv[2] ?? '0';
if (where.startsWith('/')) {
  // A unix socket (bench/php/run.mjs --floor: the bare receiver of a PHP export).
  server.listen(where, () => process.stdout.write(`${JSON.stringify({ msg: 'listening', socket: where })}\n`));
} else {
  server.listen(Number(where), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
  });
}
process.on('SIGTERM', () => server.close(() => process.exit(0)));
