// The CLI sets V8 flags for its short run (analyzers/php/v8-tuning.ts). A
// flag this Node does not know would print "unrecognized flag" on every run,
// and the flags must steer only optimisation, never the report.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../analyzers/php/audit.js';
import { BATCH_RUN_V8_FLAGS } from '../../analyzers/php/v8-tuning.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const tree = path.join(here, '../fixtures/audit/tree');
const dist = path.join(repo, 'dist/analyzers/php');

describe('V8 tuning for the audit run', () => {
  it('names only flags this Node accepts', () => {
    const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(BATCH_RUN_V8_FLAGS.length).toBeGreaterThan(0);
    for (const flag of BATCH_RUN_V8_FLAGS) {
      const name = flag.replace(/^--(no-)?/, '').replace(/=.*$/, '');
      expect(known, `${flag} is not among \`node --v8-options\``).toContain(`--${name} `);
    }
  });

  it('a tuned process (built engine, 2 workers) writes the same report as an untuned one, and nothing on stderr', async () => {
    if (!existsSync(path.join(dist, 'v8-tuning.js'))) throw new Error(`${dist}/v8-tuning.js is missing: expected the built engine, run \`npm run build\` first`);
    // CommonJS -e (workers inherit the parent's execArgv, and --input-type would break them).
    const script = `(async () => {
      const { tuneV8ForBatchRun } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'v8-tuning.js')).href)});
      tuneV8ForBatchRun();
      tuneV8ForBatchRun();
      const { runAudit } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'audit.js')).href)});
      process.stdout.write(JSON.stringify(await runAudit({ root: process.argv[1], threads: 2, includeVendor: true })));
    })();`;
    const child = spawnSync(process.execPath, ['-e', script, tree], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const untuned = await runAudit({ root: tree, threads: 0, includeVendor: true });
    expect(child.stdout).toBe(JSON.stringify(untuned));
  });
});
