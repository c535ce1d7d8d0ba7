// The facts kept for the whole run must not keep the files' texts alive: a
// name cut from a text as a V8 view would hold the whole text (scanner.ts,
// own()), and memory would grow with the size of the tree, not its facts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pool = path.join(repo, 'dist/analyzers/php/pool.js');
const FILES = 24;

let temp: string;
let textBytes = 0;
beforeAll(async () => {
  temp = await mkdtemp(path.join(tmpdir(), 'tracekit-audit-mem-'));
  for (let f = 0; f < FILES; f++) {
    // ~230 KB per file: a few long names that the facts keep (a function, its call), then HTML that leaves none.
    const lines = [`<?php`, `function catalog_supplier_report_${f}($db) { return mysqli_query($db, 'SELECT 1'); }`, `catalog_supplier_report_${f}($link);`, '?>'];
    for (let i = 0; i < 2500; i++) lines.push(`<tr><td class="catalog-supplier-column">value of the column ${i}</td><td>more text</td></tr>`);
    const text = `${lines.join('\n')}\n`;
    textBytes += Buffer.byteLength(text);
    await writeFile(path.join(temp, `page${f}.php`), text);
  }
});
afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('memory', () => {
  it('the facts of every file of a tree keep much less than the tree\'s text alive', () => {
    if (!existsSync(pool)) throw new Error(`${pool} is missing: expected the built engine, run \`npm run build\` first`);
    const script = `(async () => {
      const { createPool } = await import(${JSON.stringify(pathToFileURL(pool).href)});
      const fs = require('node:fs');
      const tasks = fs.readdirSync(process.argv[1]).sort().map((n) => ({ absPath: require('node:path').join(process.argv[1], n), relPath: n }));
      global.gc(); global.gc();
      const before = process.memoryUsage().heapUsed;
      const kept = await createPool(0).run(tasks, { mode: 'tiers', maxFileBytes: 1 << 22, prefilter: true });
      global.gc(); global.gc();
      const after = process.memoryUsage().heapUsed;
      process.stdout.write(JSON.stringify({ files: kept.filter((o) => o && o.kind === 'facts').length, grownBytes: after - before }));
    })();`;
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', script, temp], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as { files: number; grownBytes: number };
    expect(result.files).toBe(FILES);
    expect(textBytes).toBeGreaterThan(4_000_000);
    // Kept as views, the texts alone would be all of textBytes.
    expect(result.grownBytes).toBeLessThan(textBytes / 4);
  });
});
