import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Engine } from 'php-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/require-tool.js';
import { findPhp72Violations } from '../helpers/php72-syntax.js';

// The benchmark's trees must be valid PHP, one consistent project (no name
// declared twice) and deterministic, or the numbers in BENCHMARKS.md mean
// nothing. Small sizes here; the bench itself builds the big ones.
const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const php = requireTool('php');

interface MakeTreesModule {
  makeGrownTree(dest: string, copies: number): Promise<{ phpFiles: number; phpBytes: number }>;
  makeGeneratedTree(dest: string, mb: number, seed: number): Promise<{ phpFiles: number; phpBytes: number; counts: Record<string, number> }>;
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), relPath)));
    else out.push(relPath);
  }
  return out.sort();
}

const parser = new Engine({ parser: { php8: true, suppressErrors: false }, ast: { withPositions: false } });

/** Fully qualified, lower-cased names of the functions and classes a file declares. */
function declarations(source: string, file: string): string[] {
  const out: string[] = [];
  const visit = (nodes: unknown[], ns: string): void => {
    for (const node of nodes as Array<{ kind: string; name?: unknown; children?: unknown[]; body?: unknown }>) {
      if (node.kind === 'namespace') visit(node.children ?? [], String(node.name));
      else if (node.kind === 'function' || node.kind === 'class') {
        const name = (node.name as { name: string }).name;
        out.push(`${node.kind} ${ns ? `${ns}\\` : ''}${name}`.toLowerCase());
      } else if (node.kind === 'if' && node.body && typeof node.body === 'object') {
        visit((node.body as { children?: unknown[] }).children ?? [], ns);
      }
    }
  };
  visit(parser.parseCode(source, file).children, '');
  return out;
}

async function phpFilesOf(dir: string): Promise<string[]> {
  return (await listFiles(dir)).filter((f) => /\.(php|inc|phtml)$/i.test(f));
}

describe('bench/audit trees', () => {
  let tmp: string;
  let trees: MakeTreesModule;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tk-bench-trees-'));
    trees = (await import(path.join(root, 'bench/audit/make-trees.mjs'))) as MakeTreesModule;
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('the grown tree is N renamed copies of the example with no name declared twice', async () => {
    const dest = path.join(tmp, 'grown');
    const info = await trees.makeGrownTree(dest, 3);
    const files = await phpFilesOf(dest);
    const example = await phpFilesOf(path.join(root, 'examples/legacy-app'));
    expect(files.length).toBe(example.length * 3);
    expect(info.phpFiles).toBe(files.length);
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const f of files) {
      for (const d of declarations(await readFile(path.join(dest, f), 'utf8'), f)) {
        if (seen.has(d)) duplicates.push(`${d} in ${seen.get(d)} and ${f}`);
        seen.set(d, f);
      }
    }
    expect(duplicates).toEqual([]);
    // Every copy declares what the example declares, under its own suffix.
    expect(seen.has('function db_query_c0002')).toBe(true);
    expect(seen.has('class customerrepository_c0003')).toBe(true);
    expect(seen.has('function legacy\\statsc0001\\table_rows')).toBe(true);
  });

  it('the generated tree is deterministic, holds every kind of file, and is PHP 7.2 that parses', async () => {
    const a = path.join(tmp, 'gen-a');
    const b = path.join(tmp, 'gen-b');
    const infoA = await trees.makeGeneratedTree(a, 1, 7);
    await trees.makeGeneratedTree(b, 1, 7);
    const filesA = await listFiles(a);
    expect(await listFiles(b)).toEqual(filesA);
    for (const f of filesA) expect(await readFile(path.join(b, f), 'utf8'), f).toBe(await readFile(path.join(a, f), 'utf8'));

    expect(infoA.phpBytes).toBeGreaterThanOrEqual(1024 * 1024);
    for (const [kind, n] of Object.entries(infoA.counts)) expect(n, kind).toBeGreaterThan(0);

    const violations: string[] = [];
    for (const f of filesA) {
      for (const v of findPhp72Violations(await readFile(path.join(a, f), 'utf8'), f)) violations.push(`${f}:${v.line} ${v.construct}`);
    }
    expect(violations).toEqual([]);

    const other = await trees.makeGeneratedTree(path.join(tmp, 'gen-c'), 1, 8);
    expect(other.phpBytes).not.toBe(infoA.phpBytes);
  });

  it.skipIf(php === null)('tokenize.php reads the list and counts what PHP tokenizes', async () => {
    const dir = path.join(root, 'examples/legacy-app');
    const files = (await phpFilesOf(dir)).map((f) => path.join(dir, f));
    const list = path.join(tmp, 'list');
    await writeFile(list, files.join('\n') + '\n');
    const { stdout } = await run(php!, ['-d', 'memory_limit=-1', path.join(root, 'bench/audit/tokenize.php'), list]);
    const got = JSON.parse(stdout) as { files: number; bytes: number; tokens: number };
    let bytes = 0;
    for (const f of files) bytes += (await readFile(f)).length;
    const { stdout: expectedTokens } = await run(php!, ['-r', 'echo count(token_get_all(file_get_contents($argv[1])));', files[0]!]);
    expect(got.files).toBe(files.length);
    expect(got.bytes).toBe(bytes);
    expect(got.tokens).toBeGreaterThan(Number(expectedTokens));
    await expect(run(php!, [path.join(root, 'bench/audit/tokenize.php'), path.join(tmp, 'missing')])).rejects.toThrow();
  });
});
