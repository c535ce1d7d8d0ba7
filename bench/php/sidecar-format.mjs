#!/usr/bin/env node
// What one PHP export costs the sidecar as OTLP/JSON (what the runtime sends)
// against the same spans as OTLP/protobuf (bench/php/protobuf-encoder.php),
// for the format decision: protobuf is cheaper to ingest but 2.4-2.6x slower
// for PHP to build (bench/php/encode.php). Bodies: a root span shaped like
// about.php's (1 span) and product.php's with five DB spans (6 spans), built
// by the real runtime. A Node client POSTs them one after the other over one
// keep-alive connection to the real sidecar's unix socket; the sidecar's
// on-CPU time (all threads, /proc/PID/task/*/schedstat) is divided by the
// requests, including what it does for them after the last answer (batching,
// the upstream write). Rounds alternate the order; medians are printed.
//   flock /tmp/tracekit-bench.lock node bench/php/sidecar-format.mjs [--requests N] [--rounds N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuNanos, startSidecar } from '../lib/process.mjs';
import { median } from '../lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const REQUESTS = option('--requests', 3000);
const ROUNDS = option('--rounds', 5);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tk-php-format-'));
const php = `<?php
require ${JSON.stringify(path.join(root, 'php-bootstrap', 'load.php'))};
require ${JSON.stringify(path.join(root, 'bench', 'php', 'protobuf-encoder.php'))};
require ${JSON.stringify(path.join(root, 'bench', 'php', 'export-spans.php'))};
use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\OtlpJson;
$config = Config::resolve(['serviceName' => 'bench', 'version' => '0.1.0'], function ($n) { return false; });
$request = ['REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/product.php?id=4', 'QUERY_STRING' => 'id=4', 'SCRIPT_NAME' => '/product.php', 'HTTP_HOST' => '127.0.0.1:8080', 'SERVER_PORT' => '8080', 'REMOTE_ADDR' => '127.0.0.1', 'HTTP_USER_AGENT' => 'wrk', 'SERVER_PROTOCOL' => 'HTTP/1.1'];
foreach ([1, 6] as $spans) {
    list($finished, $resource) = \\TracekitBench\\exportSpans($config, $request, $spans);
    file_put_contents(${JSON.stringify(tmp)} . "/body$spans.json", OtlpJson::encode($finished, $resource, '0.1.0'));
    file_put_contents(${JSON.stringify(tmp)} . "/body$spans.pb", \\TracekitBench\\Protobuf::encode($finished, $resource, '0.1.0'));
}
`;
writeFileSync(path.join(tmp, 'bodies.php'), php);
execFileSync('php', [path.join(tmp, 'bodies.php')], { stdio: 'inherit' });
const bodies = [1, 6].flatMap((spans) => [
  { name: `${spans} span${spans > 1 ? 's' : ''}, JSON`, type: 'application/json', body: readFileSync(path.join(tmp, `body${spans}.json`)) },
  { name: `${spans} span${spans > 1 ? 's' : ''}, protobuf`, type: 'application/x-protobuf', body: readFileSync(path.join(tmp, `body${spans}.pb`)) },
]);

let sidecar = null;
try {
  // Forwarding to a collector stand-in over HTTP, as deployed (see bench/lib/process.mjs).
  sidecar = await startSidecar({ dir: tmp });
  const { socket: socketPath, pid } = sidecar;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (b) => new Promise((resolve, reject) => {
    const req = http.request({ socketPath, agent, method: 'POST', path: '/v1/traces', headers: { 'content-type': b.type, 'content-length': b.body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${b.name}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(b.body);
  });
  for (const b of bodies) for (let i = 0; i < 500; i++) await post(b);
  for (const b of bodies) b.cpu = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of round % 2 === 0 ? bodies : [...bodies].reverse()) {
      const before = cpuNanos([pid]);
      for (let i = 0; i < REQUESTS; i++) await post(b);
      // Work the sidecar defers (batching, the upstream write) belongs to this cell.
      await sidecar.drained();
      b.cpu.push((cpuNanos([pid]) - before) / REQUESTS / 1000);
    }
  }
  agent.destroy();
  console.log(`sidecar CPU per export, ${ROUNDS} rounds of ${REQUESTS} sequential keep-alive POSTs (medians; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const b of bodies) console.log(`${b.name.padEnd(20)} ${String(b.body.length).padStart(6)} bytes ${median(b.cpu).toFixed(1).padStart(8)} µs   (${b.cpu.map((x) => x.toFixed(0)).join(', ')})`);
} finally {
  if (sidecar) await sidecar.stop();
  rmSync(tmp, { recursive: true, force: true });
}
