// The same tree gives the same report, byte for byte, whatever the thread
// count: the TypeScript sources on the calling thread against the built
// engine in dist/ on 2 worker threads (`npm test` builds first).
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../analyzers/php/audit.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const tree = path.join(here, '../fixtures/audit/tree');
const distAudit = path.join(repo, 'dist/analyzers/php/audit.js');
const distPool = path.join(repo, 'dist/analyzers/php/pool.js');

type Engine = typeof import('../../analyzers/php/audit.js');
type Pool = typeof import('../../analyzers/php/pool.js');

let temp: string;
let big: string;
let dist: Engine;
let pool: Pool;
beforeAll(async () => {
  if (!existsSync(distAudit)) throw new Error(`${distAudit} is missing: expected the built engine, run \`npm run build\` first`);
  dist = (await import(pathToFileURL(distAudit).href)) as Engine;
  pool = (await import(pathToFileURL(distPool).href)) as Pool;
  // Eight copies of the fixture tree: enough files for many batches on each worker.
  temp = await mkdtemp(path.join(tmpdir(), 'tracekit-audit-det-'));
  big = path.join(temp, 'big');
  for (let i = 0; i < 8; i++) await cp(tree, path.join(big, `copy${i}`), { recursive: true });
});
afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('determinism', () => {
  it('the built engine finds its worker script (so threads > 0 really uses workers)', async () => {
    expect(pool.workerScriptAvailable()).toBe(true);
    const workers = pool.createPool(2);
    try {
      expect(workers.threads).toBe(2);
    } finally {
      await workers.close();
    }
  });

  it('threads 0 (sources) and threads 2 (dist workers) give identical JSON on the fixture tree', async () => {
    const inThread = await runAudit({ root: tree, threads: 0, includeVendor: true });
    const onWorkers = await dist.runAudit({ root: tree, threads: 2, includeVendor: true });
    expect(JSON.stringify(onWorkers)).toBe(JSON.stringify(inThread));
  });

  it('threads 0 and threads 2 give identical JSON on a tree of 8 copies', async () => {
    const inThread = await dist.runAudit({ root: big, threads: 0 });
    const onWorkers = await dist.runAudit({ root: big, threads: 2 });
    expect(inThread.files.scanned).toBe(8 * 36);
    expect(JSON.stringify(onWorkers)).toBe(JSON.stringify(inThread));
  });
});
