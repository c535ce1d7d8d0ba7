import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planRewrite } from '../../src/php/rewrite.js';
import { requireTool } from '../helpers/require-tool.js';
import { repoRoot } from '../php/php-cli.js';

const cli = path.join(repoRoot, 'bin', 'tracekit.js');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'rewrite');
const php = requireTool('php', ['/usr/bin/php']);
const patchTool = requireTool('patch', ['/usr/bin/patch']);

function tracekit(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under dir, relative path -> bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

function expectSameTree(actual: string, expected: string): void {
  const a = snapshot(actual);
  const e = snapshot(expected);
  expect([...a.keys()]).toEqual([...e.keys()]);
  for (const [name, bytes] of e) expect(a.get(name)!.toString('latin1'), name).toBe(bytes.toString('latin1'));
}

describe('tracekit php rewrite on fixture trees', () => {
  let work: string;
  let app: string;

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'tk-rewrite-'));
    app = path.join(work, 'app');
    cpSync(path.join(fixtures, 'app'), app, { recursive: true });
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('prints a unified diff and changes nothing without --write; patch(1) applies it to the same result as --write', () => {
    const before = snapshot(app);
    const diff = tracekit(['php', 'rewrite', 'app', '--all'], work);
    expect(diff.status, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/^--- a\/db\.php\n\+\+\+ b\/db\.php\n@@ -5,9 \+5,9 @@\n/);
    expect(diff.stderr).toContain('would rewrite 12 names in 2 files');
    expect(snapshot(app)).toEqual(before);

    const patched = path.join(work, 'patched');
    cpSync(app, patched, { recursive: true });
    if (patchTool !== null) {
      const applied = spawnSync(patchTool, ['-p1', '--quiet'], { cwd: patched, input: diff.stdout, encoding: 'utf8' });
      expect(applied.status, applied.stderr + applied.stdout).toBe(0);
    }
    const written = tracekit(['php', 'rewrite', 'app', '--all', '--write'], work);
    expect(written.status, written.stderr).toBe(0);
    if (patchTool !== null) expectSameTree(patched, app);
  });

  it('--all --write rewrites exactly the expected names (formatting, comments, strings, HTML untouched); the result parses', () => {
    const r = tracekit(['php', 'rewrite', 'app', '--all', '--write'], work);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('rewrote 12 names in 2 files');
    expect(r.stdout).toContain('db.php:10 MYSQLI_QUERY -> \\Tracekit\\Wrap\\MYSQLI_QUERY (db_run)');
    expect(r.stdout).toContain('lib/Legacy.php:17 \\mysqli_query -> \\tracekit\\wrap\\mysqli_query (Shop\\Legacy\\Connection::counts)');
    expect(r.stderr).toContain('skipped lib/Legacy.php:20 run_query: reaches mysqli_query through a use alias');
    // A subclass overriding a traced method keeps its parent: a typed override of an untyped parent would not compile.
    expect(r.stderr).toContain('skipped lib/Legacy.php:25 \\PDO: the class overrides prepare()');
    expectSameTree(app, path.join(fixtures, 'expected-all'));
    if (php !== null) {
      for (const file of ['db.php', 'lib/Legacy.php']) {
        const lint = spawnSync(php, ['-l', path.join(app, file)], { encoding: 'utf8' });
        expect(lint.status, lint.stdout + lint.stderr).toBe(0);
      }
    }
  });

  it('the default rewrite touches procedural calls only inside the audit\'s entry points, and every new/extends', () => {
    const r = tracekit(['php', 'rewrite', 'app', '--write'], work);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('rewrote 9 names in 2 files');
    expectSameTree(app, path.join(fixtures, 'expected-default'));
  });

  it('is idempotent: a second run finds nothing to change', () => {
    expect(tracekit(['php', 'rewrite', 'app', '--all', '--write'], work).status).toBe(0);
    const once = snapshot(app);
    const again = tracekit(['php', 'rewrite', 'app', '--all', '--write'], work);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('rewrote 0 names in 0 files');
    expect(snapshot(app)).toEqual(once);
    const diff = tracekit(['php', 'rewrite', 'app', '--all'], work);
    expect(diff.stdout).toBe('');
  });

  it('--revert --write restores every file byte for byte (after --all and after the default)', () => {
    const original = snapshot(app);
    for (const mode of [['--all'], []]) {
      expect(tracekit(['php', 'rewrite', 'app', ...mode, '--write'], work).status).toBe(0);
      expect(snapshot(app)).not.toEqual(original);
      const preview = tracekit(['php', 'rewrite', 'app', '--revert'], work);
      expect(preview.status).toBe(0);
      expect(preview.stdout).toContain('-    $result = \\Tracekit\\Wrap\\mysqli_query($link, $sql);');
      const reverted = tracekit(['php', 'rewrite', 'app', '--revert', '--write'], work);
      expect(reverted.status, reverted.stderr).toBe(0);
      expect(snapshot(app)).toEqual(original);
    }
  });

  it('keeps bytes that are not UTF-8 and CRLF line ends', async () => {
    const file = path.join(app, 'latin1.php');
    const bytes = Buffer.concat([Buffer.from('<?php\r\n// caf'), Buffer.from([0xe9]), Buffer.from('\r\nfunction f($l) {\r\n    return mysqli_query($l, "SELECT \''), Buffer.from([0xe9]), Buffer.from('\'");\r\n}\r\n')]);
    writeFileSync(file, bytes);
    const plan = await planRewrite({ dir: app, cwd: work, all: true, revert: false });
    const rewritten = plan.files.find((f) => f.path === 'latin1.php')!;
    expect(Buffer.from(rewritten.after, 'latin1')).toEqual(Buffer.from(bytes.toString('latin1').replace('return mysqli_query', 'return \\Tracekit\\Wrap\\mysqli_query'), 'latin1'));
  });

  it('refuses a file that does not parse: named on stderr, left untouched, exit 2; the others are still rewritten', () => {
    const broken = path.join(work, 'broken');
    cpSync(path.join(fixtures, 'broken'), broken, { recursive: true });
    const half = readFileSync(path.join(broken, 'half.php'));
    const r = tracekit(['php', 'rewrite', 'broken', '--write'], work);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refused half\.php: it does not parse \(.*line 4.*\); left untouched/);
    expect(r.stderr).toContain('TRACEKIT_E_REWRITE_PARSE_ERROR');
    expect(readFileSync(path.join(broken, 'half.php'))).toEqual(half);
    expect(readFileSync(path.join(broken, 'ok.php'), 'utf8')).toContain('return \\Tracekit\\Wrap\\mysqli_query($link');
  });

  it('a directory that does not exist is a usage error naming it', () => {
    const r = tracekit(['php', 'rewrite', 'nope'], work);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nope');
  });

  it('--help shows an example', () => {
    const r = tracekit(['php', 'rewrite', '--help'], work);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Example:');
    expect(r.stdout).toContain('--revert');
  });
});
