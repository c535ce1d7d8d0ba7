import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { withDefaults } from '../../src/sidecar/config.js';
import type { SidecarThread } from '../../src/sidecar/thread.js';
import { jsonTraces } from './helpers.js';
import { pollUntilTrue } from '../helpers/poll.js';

// The thread's entry is a separate module that Node loads as JavaScript, so this test drives the build in dist/
// (npm test builds first).
const root = path.resolve(import.meta.dirname, '../..');
const { startSidecarThread, SIDECAR_YOUNG_GENERATION_MIB } = (await import(pathToFileURL(path.join(root, 'dist/src/sidecar/thread.js')).href)) as typeof import('../../src/sidecar/thread.js');

describe('the sidecar on its own thread', () => {
  let dir = '';
  let thread: SidecarThread | undefined;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs with a young generation of SIDECAR_YOUNG_GENERATION_MIB, relays, and drains when stopped', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tk-thread-'));
    const out = path.join(dir, 'upstream.jsonl');
    thread = await startSidecarThread(withDefaults({ listen: { host: '127.0.0.1', port: 0 }, socket: null, upstream: { url: `file:${out}` }, logLevel: 'silent', batchTimeoutMillis: 60_000 }));
    // What the thread itself sees as its limit: Node's default there would be 48.
    expect(SIDECAR_YOUNG_GENERATION_MIB).toBe(16);
    expect(thread.youngGenerationMib).toBe(16);
    const { body, spanIds } = jsonTraces(3, 41);
    const res = await request(`http://127.0.0.1:${thread.tcpAddress!.port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    // The batch waits for its 60 s timeout; stopping drains it.
    await thread.stop('SIGTERM');
    await pollUntilTrue('the drained batch in the file upstream', async () => (await readFile(out, 'utf8').catch(() => '')).length > 0, { timeoutMillis: 5000 });
    const written = await readFile(out, 'utf8');
    for (const id of spanIds) expect(written).toContain(id);
  });

  it('rejects with the start-up error as a TracekitError with its code', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tk-thread-'));
    const notADir = path.join(dir, 'file');
    await (await import('node:fs/promises')).writeFile(notADir, 'x');
    await expect(startSidecarThread(withDefaults({ listen: null, socket: { path: path.join(notADir, 'otlp.sock'), mode: 0o660, group: null }, upstream: { url: `file:${path.join(dir, 'o.jsonl')}` }, logLevel: 'silent' }))).rejects.toMatchObject({
      name: 'TracekitError',
      code: expect.stringMatching(/^TRACEKIT_E_/),
      message: expect.stringMatching(/--socket/),
    });
  });
});
