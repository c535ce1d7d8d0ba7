// bench/sidecar/sink.mjs's twin on tracekit's own HTTP/1.1 server
// (src/sidecar/http1.ts) instead of node:http: it reads the body and answers
// 200, nothing else. http-layer.mjs puts the two side by side, so the cost of
// the HTTP layer alone is measured apart from what the sidecar does.
//   node bench/sidecar/http1-sink.mjs [PORT]     (after `npm run build`)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { createHttp1Server } = await import(path.join(root, 'dist/src/sidecar/http1.js'));

let requests = 0;
const server = createHttp1Server(
  (req, res) => {
    requests++;
    res.writeHead(200, ['content-type', 'application/x-protobuf', 'content-length', '0']);
    res.end();
  },
  { maxBodyBytes: 64 * 1024 * 1024 },
);
server.listener.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.listener.address().port })}\n`);
});
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
