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
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\Tracer; use Tracekit\\Runtime\\Span; use Tracekit\\Runtime\\OtlpJson; use Tracekit\\Runtime\\ResourceInfo; use Tracekit\\Runtime\\HttpRequest;
$config = Config::resolve(['serviceName' => 'bench', 'version' => '0.1.0'], function ($n) { return false; });
foreach ([1, 6] as $spans) {
    Tracer::activate($config, null);
    list($name, $attrs) = HttpRequest::describe(['REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/product.php?id=4', 'QUERY_STRING' => 'id=4', 'SCRIPT_NAME' => '/product.php', 'HTTP_HOST' => '127.0.0.1:8080', 'SERVER_PORT' => '8080', 'REMOTE_ADDR' => '127.0.0.1', 'HTTP_USER_AGENT' => 'wrk', 'SERVER_PROTOCOL' => 'HTTP/1.1'], 'script');
    $root = Tracer::startSpan($name, Span::KIND_SERVER, $attrs);
    for ($i = 1; $i < $spans; $i++) {
        Tracer::startSpan('SELECT shop.products', Span::KIND_CLIENT, ['db.system.name' => 'mysql', 'db.query.text' => 'SELECT id, name, price FROM products WHERE id = ?', 'db.operation.name' => 'SELECT', 'db.namespace' => 'shop', 'server.address' => 'localhost'])->end();
    }
    $root->setAttribute('http.response.status_code', 200);
    $root->end();
    $finished = Tracer::takeFinished();
    $resource = ResourceInfo::attributes($config);
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

function cpuNanos(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread exited
    }
  }
  return total;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The collector stand-in: bench/sidecar/sink.mjs reads each batch and answers 200. A `file:` upstream
// would make the sidecar re-encode every batch as OTLP/JSON, work a deployed sidecar never does.
const sink = spawn(process.execPath, [path.join(root, 'bench', 'sidecar', 'sink.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const sinkPort = await new Promise((resolve, reject) => {
  let text = '';
  sink.stdout.on('data', (chunk) => {
    text += chunk;
    const line = text.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line) resolve(JSON.parse(line).port);
  });
  sink.once('exit', (code) => reject(new Error(`upstream sink exited ${code}`)));
});
const socketPath = path.join(tmp, 'otlp.sock');
const sidecar = spawn(process.execPath, [path.join(root, 'bin', 'tracekit.js'), 'sidecar', '--no-listen', '--socket', socketPath, '--upstream', `http://127.0.0.1:${sinkPort}`], { stdio: ['ignore', 'pipe', 'inherit'] });
const queueEmpty = () =>
  new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: '/metrics' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(/^tracekit_sidecar_queue_bytes 0$/m.test(text)));
      })
      .on('error', reject);
  });
try {
  let out = '';
  await new Promise((resolve, reject) => {
    sidecar.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('"msg":"listening"')) resolve();
    });
    sidecar.once('exit', (code) => reject(new Error(`sidecar exited ${code}`)));
  });
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
      const before = cpuNanos(sidecar.pid);
      for (let i = 0; i < REQUESTS; i++) await post(b);
      // Work the sidecar defers (batching, the upstream write) belongs to this cell: wait until its
      // queue is empty (a batch seals after 1 s) and it has been idle for 100 ms before reading its CPU time.
      for (let waited = 0; waited < 5000 && !(await queueEmpty()); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      for (let waited = 0, last = cpuNanos(sidecar.pid); waited < 5000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = cpuNanos(sidecar.pid);
        if (now - last < 1e6) break;
        last = now;
      }
      b.cpu.push((cpuNanos(sidecar.pid) - before) / REQUESTS / 1000);
    }
  }
  agent.destroy();
  console.log(`sidecar CPU per export, ${ROUNDS} rounds of ${REQUESTS} sequential keep-alive POSTs (medians; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const b of bodies) console.log(`${b.name.padEnd(20)} ${String(b.body.length).padStart(6)} bytes ${median(b.cpu).toFixed(1).padStart(8)} µs   (${b.cpu.map((x) => x.toFixed(0)).join(', ')})`);
} finally {
  if (sidecar.exitCode === null) {
    sidecar.kill('SIGTERM');
    await once(sidecar, 'exit');
  }
  sink.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
