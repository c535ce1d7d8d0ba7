import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNALS, jsonToProtobuf } from '../../src/otlp/index.js';
import { findPhp72Violations } from '../helpers/php72-syntax.js';
import { pollUntilTrue } from '../helpers/poll.js';
import { requireTool } from '../helpers/require-tool.js';

// The floors in BENCHMARKS.md are only bounds if the scripts behind them do
// the work they claim: the lexer visits what PHP's tokenizer visits, the relay
// forwards every byte it acknowledges, the PHP floor sends a valid export.
const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const php = requireTool('php');

async function phpFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.php')) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** An HTTP server on a loopback port or unix socket that keeps every request it gets. */
async function capture(listen: { port: 0 } | { path: string }): Promise<{ server: http.Server; received: Array<{ url: string; type: string; body: Buffer }> }> {
  const received: Array<{ url: string; type: string; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
  });
  server.listen(listen);
  await once(server, 'listening');
  return { server, received };
}

describe.skipIf(php === null)('bench/audit/floor.mjs: the minimal lexer', () => {
  it('counts about as many tokens as token_get_all on every file of the example app', async () => {
    const { lexFloor } = (await import(pathToFileURL(path.join(root, 'bench/audit/floor.mjs')).href)) as { lexFloor: (b: Buffer) => number };
    const files = await phpFiles(path.join(root, 'examples/legacy-app'));
    expect(files.length).toBeGreaterThan(10);
    const script = 'foreach (array_slice($argv, 1) as $f) echo count(token_get_all(file_get_contents($f))), "\\n";';
    const { stdout } = await run(php!, ['-r', script, ...files]);
    const expected = stdout.trim().split('\n').map(Number);
    for (const [i, file] of files.entries()) {
      const counted = lexFloor(await readFile(file));
      // It does not split interpolated strings (fewer tokens) and counts `->`, `===` byte by byte (more):
      // a lexer that lost track of a string, comment, heredoc or ?> would be far outside this band.
      expect(counted / expected[i]!, path.relative(root, file)).toBeGreaterThan(0.75);
      expect(counted / expected[i]!, path.relative(root, file)).toBeLessThan(1.35);
    }
  });

  it('does not take ?> inside strings, comments or heredocs for the end of PHP', async () => {
    const { lexFloor } = (await import(pathToFileURL(path.join(root, 'bench/audit/floor.mjs')).href)) as { lexFloor: (b: Buffer) => number };
    // Enough code after the middle that losing track there would change the count by far more than 2.
    const code = (middle: string) => Buffer.from(`<?php\n$a = 1;\n${middle}\n$b = 2; $c = $a + $b; echo $c;\n`);
    const base = lexFloor(code(''));
    // Each of these is one token between two newlines (plus its own whitespace) whatever it holds.
    for (const one of ["'x ?> <?php y'", '"x ?> y"', '/* x ?> y */', "<<<EOT\nx ?> y 'z\nEOT", "<<<'EOT'\nx ?> y\nEOT"]) {
      expect(lexFloor(code(one)), one).toBe(base + 2);
    }
    // A line comment ends at ?>, as PHP's does: the rest is HTML.
    expect(lexFloor(Buffer.from('<?php // x ?> <b>y</b>'))).toBe(5);
  });
});

/**
 * Starts bench/sidecar/relay-floor.mjs (plain, http1 or check) in front of a capturing upstream, batching every
 * two requests; `post` sends it one body. Stopped in afterAll.
 */
function relayFloor(mode: 'plain' | 'http1' | 'check') {
  const state = { upstream: null as Awaited<ReturnType<typeof capture>> | null, relay: null as ReturnType<typeof spawn> | null, port: 0 };
  beforeAll(async () => {
    state.upstream = await capture({ port: 0 });
    const upstreamUrl = `http://127.0.0.1:${(state.upstream.server.address() as AddressInfo).port}`;
    state.relay = spawn(process.execPath, [path.join(root, 'bench/sidecar/relay-floor.mjs'), '0', upstreamUrl, '2', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: state.relay.stdout! }), 'line')) as [string];
    state.port = (JSON.parse(line) as { port: number }).port;
  });
  afterAll(async () => {
    state.relay?.kill('SIGTERM');
    state.upstream?.server.close();
  });
  return {
    received: () => state.upstream!.received,
    async post(type: string, body: Buffer): Promise<{ status: number; body: string }> {
      const res = await fetch(`http://127.0.0.1:${state.port}/v1/traces`, { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(body) });
      return { status: res.status, body: await res.text() };
    },
  };
}

describe.each(['plain', 'http1'] as const)('bench/sidecar/relay-floor.mjs %s: forwards everything it acknowledges', (mode) => {
  const { post, received } = relayFloor(mode);

  it('answers as the sidecar does and sends two protobuf bodies as one concatenated request', async () => {
    const a = Buffer.from([0x0a, 0x02, 0x0a, 0x00]);
    const b = Buffer.from([0x0a, 0x00]);
    expect(await post('application/x-protobuf', a)).toEqual({ status: 200, body: '' });
    expect(await post('application/x-protobuf', b)).toEqual({ status: 200, body: '' });
    await pollUntilTrue('the protobuf batch', () => received().some((r) => r.type === 'application/x-protobuf'), { timeoutMillis: 5000 });
    const sent = received().filter((r) => r.type === 'application/x-protobuf');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('/v1/traces');
    expect(sent[0]!.body.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('joins the resourceSpans of two JSON bodies into one valid request', async () => {
    const doc = (name: string) => Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: name } }] }, scopeSpans: [] }] }));
    expect(await post('application/json', doc('a'))).toEqual({ status: 200, body: '{}' });
    expect(await post('application/json', doc('b'))).toEqual({ status: 200, body: '{}' });
    await pollUntilTrue('the JSON batch', () => received().some((r) => r.type === 'application/json'), { timeoutMillis: 5000 });
    const sent = received().filter((r) => r.type === 'application/json');
    expect(sent).toHaveLength(1);
    const merged = JSON.parse(sent[0]!.body.toString('utf8')) as { resourceSpans: Array<{ resource: { attributes: Array<{ value: { stringValue: string } }> } }> };
    expect(merged.resourceSpans.map((r) => r.resource.attributes[0]!.value.stringValue)).toEqual(['a', 'b']);
  });
});

describe('bench/sidecar/relay-floor.mjs check: the checking floor checks before it answers, as the sidecar does', () => {
  const { post, received } = relayFloor('check');

  it('refuses a malformed body with 400, transcodes JSON, and forwards only what it accepted', async () => {
    const protobuf = Buffer.from([0x0a, 0x02, 0x0a, 0x00]);
    const json = Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{}] }] }));
    // A length that runs past the end of the body: the validator refuses it.
    expect((await post('application/x-protobuf', Buffer.from([0x0a, 0x09, 0x0a]))).status).toBe(400);
    expect(await post('application/x-protobuf', protobuf)).toEqual({ status: 200, body: '' });
    expect(await post('application/json', json)).toEqual({ status: 200, body: '{}' });
    await pollUntilTrue('the checked batch', () => received().length > 0, { timeoutMillis: 5000 });
    expect(received()).toHaveLength(1);
    expect(received()[0]!.type).toBe('application/x-protobuf');
    // The JSON document's one ResourceSpans with one empty ScopeSpans, as protobuf, after the protobuf body.
    expect(received()[0]!.body.equals(Buffer.concat([protobuf, Buffer.from([0x0a, 0x02, 0x12, 0x00])]))).toBe(true);
  });
});

describe.skipIf(php === null)('bench/php/floor-prepend.php: one valid export, nothing else', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tk-floor-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is PHP 7.2 syntax and passes php -l', async () => {
    const file = path.join(root, 'bench/php/floor-prepend.php');
    expect(findPhp72Violations(await readFile(file, 'utf8'), file)).toEqual([]);
    await run(php!, ['-l', file]);
  });

  it('writes one OTLP/JSON export of one span at shutdown and leaves the page alone', async () => {
    const socket = path.join(dir, 'floor.sock');
    const receiver = await capture({ path: socket });
    try {
      // A page file: php -r code gets no auto_prepend_file.
      const page = path.join(dir, 'page.php');
      await writeFile(page, '<?php echo "page";\n');
      const { stdout } = await run(php!, ['-d', `auto_prepend_file=${path.join(root, 'bench/php/floor-prepend.php')}`, page], {
        env: { ...process.env, BENCH_FLOOR_ENDPOINT: `unix://${socket}` },
      });
      expect(stdout).toBe('page');
      await pollUntilTrue('the export', () => receiver.received.length > 0, { timeoutMillis: 5000 });
      const [request] = receiver.received;
      expect(request!.url).toBe('/v1/traces');
      expect(request!.type).toBe('application/json');
      // What the sidecar does with it: transcoded to protobuf, one span counted, none invalid.
      const transcoded = jsonToProtobuf(SIGNALS.traces.requestType, request!.body);
      expect({ items: transcoded.items, invalidItems: transcoded.invalidItems }).toEqual({ items: 1, invalidItems: 0 });
    } finally {
      receiver.server.close();
    }
  });

  it('with a file:// endpoint appends the same export as one line to a file of its process', async () => {
    const page = path.join(dir, 'page.php');
    await writeFile(page, '<?php echo "page";\n');
    const spool = path.join(dir, 'spool');
    const { stdout } = await run(php!, ['-d', `auto_prepend_file=${path.join(root, 'bench/php/floor-prepend.php')}`, page], {
      env: { ...process.env, BENCH_FLOOR_ENDPOINT: `file://${spool}` },
    });
    expect(stdout).toBe('page');
    const written = (await readdir(dir)).filter((name) => name.startsWith('spool.'));
    expect(written).toHaveLength(1);
    const lines = (await readFile(path.join(dir, written[0]!), 'utf8')).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(jsonToProtobuf(SIGNALS.traces.requestType, lines[0]!).items).toBe(1);
  });
});
